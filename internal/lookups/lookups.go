// Package lookups tallies, per API key, the observables looked up through
// the relay and whether the relay found them malicious, for the verdicts
// tile. It never keeps an observable: only a salted 64-bit hash of it,
// the time of its latest lookup and that lookup's verdict, for at most the
// longest tile period, in this replica's memory.
package lookups

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxPerKey = 5_000
	DefaultMaxKeys   = 100
	DefaultKeep      = 30 * 24 * time.Hour
)

// Options configure a Tally.
type Options struct {
	MaxPerKey int           // observables kept per API key (default 5,000); the least recently looked up go first
	MaxKeys   int           // API keys kept (default 100); the least recently active go first
	Keep      time.Duration // how long a lookup counts (default 30 days, the longest tile period)
	Now       func() time.Time
}

// Tally counts recent lookups. It is safe for concurrent use.
type Tally struct {
	o    Options
	seed maphash.Seed

	mu    sync.Mutex
	keys  *simplelru.LRU[string, *keyTally] // the least recently active key goes first
	swept int64                             // unix nanos of the last sweep
}

// sweepEvery is how often Note drops what is older than Keep.
const sweepEvery = time.Hour

// keyTally holds one key's lookups, least recent first: a new observable
// past MaxPerKey replaces the least recent one at once, and a sweep stops
// at the first lookup within Keep.
type keyTally struct {
	seen *simplelru.LRU[uint64, mark]
}

// mark is the latest lookup of one observable.
type mark struct {
	at        int64 // unix nanos
	malicious bool
}

// New returns an empty Tally.
func New(o Options) *Tally {
	if o.MaxPerKey <= 0 {
		o.MaxPerKey = DefaultMaxPerKey
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	keys, _ := simplelru.NewLRU[string, *keyTally](o.MaxKeys, nil) // only a size below 1 fails
	return &Tally{o: o, seed: maphash.MakeSeed(), keys: keys}
}

// hash is the observable's salted hash; the salt is this process's own,
// so a hash says nothing outside it.
func (t *Tally) hash(typ, value string) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(typ)
	h.WriteByte(0)
	h.WriteString(value)
	return h.Sum64()
}

// Note records that keyID looked up the observable now, with the verdict
// the relay gave it.
func (t *Tally) Note(keyID, typ, value string, malicious bool) {
	now := t.o.Now().UnixNano()
	h := t.hash(typ, value)
	t.mu.Lock()
	defer t.mu.Unlock()
	if now-t.swept >= int64(sweepEvery) {
		t.sweepLocked(now)
	}
	kt, ok := t.keys.Get(keyID)
	if !ok {
		seen, _ := simplelru.NewLRU[uint64, mark](t.o.MaxPerKey, nil)
		kt = &keyTally{seen: seen}
		t.keys.Add(keyID, kt)
	}
	kt.seen.Add(h, mark{at: now, malicious: malicious})
}

// Count returns how many distinct observables keyID looked up since
// since, by the verdict of their latest lookup.
func (t *Tally) Count(keyID string, since time.Time) (malicious, other int) {
	from := since.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	kt, ok := t.keys.Peek(keyID)
	if !ok {
		return 0, 0
	}
	for _, m := range kt.seen.Values() {
		if m.at < from {
			continue
		}
		if m.malicious {
			malicious++
		} else {
			other++
		}
	}
	return malicious, other
}

// sweepLocked drops every lookup older than Keep, and keys left with
// none, so that no hash outlives the longest period by more than
// sweepEvery.
func (t *Tally) sweepLocked(now int64) {
	t.swept = now
	cutoff := now - int64(t.o.Keep)
	for _, k := range t.keys.Keys() {
		kt, _ := t.keys.Peek(k)
		for {
			_, m, ok := kt.seen.GetOldest()
			if !ok || m.at >= cutoff {
				break
			}
			kt.seen.RemoveOldest()
		}
		if kt.seen.Len() == 0 {
			t.keys.Remove(k)
		}
	}
}
