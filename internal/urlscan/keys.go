package urlscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// maxKeyBytes bounds an API key: urlscan keys are uuids, and a huge header
// would only earn a 431 after a round trip.
const maxKeyBytes = 1024

// KeyID identifies an API key without revealing it: the first 16 hex digits
// of its SHA-256. Cache partitions, rate-limit buckets and logs use it;
// nothing ever stores or prints the key itself.
//
// A warm request asks for it once per cache key (44 times in the standard
// request), so the ids of recent keys are remembered: a direct-mapped table
// of keyIDSlots entries, each the key and its id, which a busier key
// replaces. It holds keys this process already holds for their requests.
func KeyID(apiKey string) string {
	slot := &keyIDs[maphash.String(keyIDSeed, apiKey)%keyIDSlots]
	if m := slot.Load(); m != nil && m.apiKey == apiKey {
		return m.id
	}
	sum := sha256.Sum256([]byte(apiKey))
	id := hex.EncodeToString(sum[:8])
	slot.Store(&keyIDMemo{apiKey: apiKey, id: id})
	return id
}

// keyIDSlots is the size of KeyID's table: more tenants than a relay
// serves at once.
const keyIDSlots = 256

type keyIDMemo struct{ apiKey, id string }

var (
	keyIDSeed = maphash.MakeSeed()
	keyIDs    [keyIDSlots]atomic.Pointer[keyIDMemo]
)

// validKey reports whether apiKey can travel as an HTTP header value:
// printable ASCII without spaces, neither empty nor huge.
func validKey(apiKey string) bool {
	if apiKey == "" || len(apiKey) > maxKeyBytes {
		return false
	}
	for i := 0; i < len(apiKey); i++ {
		if apiKey[i] <= ' ' || apiKey[i] >= 0x7f {
			return false
		}
	}
	return true
}

// ValidScanID reports whether id looks like an urlscan scan id (letters,
// digits and dashes, at most 64 of them). Ids come from upstream answers,
// so one that does not is never put into a URL.
func ValidScanID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// keySlots bounds the calls in flight for each API key, so that one tenant's
// burst cannot take every connection, and the calls waiting for one of
// them, so that a flood of requests (or of abandoned ones) cannot pile up
// goroutines without end: a call past the queue fails at once. An entry
// lives only while calls for its key are running or waiting, so the map
// does not grow with the number of keys ever seen.
type keySlots struct {
	size  int // calls in flight per key
	queue int // calls waiting per key
	mu    sync.Mutex
	keys  map[string]*keySlot
}

type keySlot struct {
	sem   chan struct{}
	users int // running and waiting
}

func newKeySlots(size, queue int) *keySlots {
	return &keySlots{size: size, queue: queue, keys: make(map[string]*keySlot)}
}

// acquire waits for a slot of keyID; release must be called once it
// returned nil. It fails with errQueueFull, without waiting, when the key
// already has as many calls waiting as the queue holds.
func (k *keySlots) acquire(ctx context.Context, keyID string) (release func(), err error) {
	k.mu.Lock()
	s := k.keys[keyID]
	if s == nil {
		s = &keySlot{sem: make(chan struct{}, k.size)}
		k.keys[keyID] = s
	}
	if s.users >= k.size+k.queue {
		k.mu.Unlock()
		return nil, errQueueFull
	}
	s.users++
	k.mu.Unlock()

	done := func() {
		k.mu.Lock()
		if s.users--; s.users == 0 {
			delete(k.keys, keyID)
		}
		k.mu.Unlock()
	}
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
