package auth

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"
)

// maxVerified bounds the tokens remembered as verified.
const maxVerified = 10000

// verifiedTokens remembers tokens whose signature was verified, by the
// SHA-256 of the whole compact token (signature included), so the same
// token sent again skips the RSA verification that dominates the cost of a
// warm request. Only the signature is remembered: audience, expiry and the
// claims are checked on every request. An entry lives no longer than the
// key set that verified it would, so a key withdrawn from the JWKS stops
// verifying within one cache period, as without this memory.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	claims  map[string]json.RawMessage // read-only once stored
	expires time.Time
}

func (v *verifiedTokens) get(token string, now time.Time) (map[string]json.RawMessage, bool) {
	sum := sha256.Sum256([]byte(token))
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[sum]
	if !ok {
		return nil, false
	}
	if !now.Before(e.expires) {
		delete(v.entries, sum)
		return nil, false
	}
	return e.claims, true
}

// put remembers a verified token until expires. When the memory is full it
// first forgets the entries that have expired by now; if that frees too
// little, it forgets arbitrary live ones down to nine tenths of the bound,
// so that the sweep is rare and one new entry never empties the memory.
func (v *verifiedTokens) put(token string, claims map[string]json.RawMessage, now, expires time.Time) {
	sum := sha256.Sum256([]byte(token))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil {
		v.entries = make(map[[sha256.Size]byte]verifiedToken)
	}
	if len(v.entries) >= maxVerified {
		for k, e := range v.entries {
			if !now.Before(e.expires) {
				delete(v.entries, k)
			}
		}
		for k := range v.entries {
			if len(v.entries) < maxVerified*9/10 {
				break
			}
			delete(v.entries, k)
		}
	}
	v.entries[sum] = verifiedToken{claims: claims, expires: expires}
}
