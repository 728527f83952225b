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

func (v *verifiedTokens) put(token string, claims map[string]json.RawMessage, expires time.Time) {
	sum := sha256.Sum256([]byte(token))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil {
		v.entries = make(map[[sha256.Size]byte]verifiedToken)
	}
	if len(v.entries) >= maxVerified {
		for k, e := range v.entries {
			if !expires.Before(e.expires) {
				delete(v.entries, k)
			}
		}
		if len(v.entries) >= maxVerified {
			clear(v.entries)
		}
	}
	v.entries[sum] = verifiedToken{claims: claims, expires: expires}
}
