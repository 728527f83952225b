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
	keys  map[string]*keyTally
	swept int64 // unix nanos of the last sweep
}

// sweepEvery is how often Note drops what is older than Keep.
const sweepEvery = time.Hour

type keyTally struct {
	seen    map[uint64]mark
	touched int64 // unix nanos
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
	return &Tally{o: o, seed: maphash.MakeSeed(), keys: make(map[string]*keyTally)}
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
	kt := t.keys[keyID]
	if kt == nil {
		if len(t.keys) >= t.o.MaxKeys {
			t.evictKeyLocked()
		}
		kt = &keyTally{seen: make(map[uint64]mark)}
		t.keys[keyID] = kt
	}
	kt.touched = now
	if _, ok := kt.seen[h]; !ok && len(kt.seen) >= t.o.MaxPerKey {
		t.pruneLocked(kt, now)
	}
	kt.seen[h] = mark{at: now, malicious: malicious}
}

// Count returns how many distinct observables keyID looked up since
// since, by the verdict of their latest lookup.
func (t *Tally) Count(keyID string, since time.Time) (malicious, other int) {
	from := since.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	kt := t.keys[keyID]
	if kt == nil {
		return 0, 0
	}
	for _, m := range kt.seen {
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

// pruneLocked drops the lookups older than Keep and, if the key is still
// full, its least recent one.
func (t *Tally) pruneLocked(kt *keyTally, now int64) {
	cutoff := now - int64(t.o.Keep)
	var oldest uint64
	oldestAt := int64(-1)
	for h, m := range kt.seen {
		if m.at < cutoff {
			delete(kt.seen, h)
			continue
		}
		if oldestAt < 0 || m.at < oldestAt {
			oldest, oldestAt = h, m.at
		}
	}
	if len(kt.seen) >= t.o.MaxPerKey && oldestAt >= 0 {
		delete(kt.seen, oldest)
	}
}

// sweepLocked drops every lookup older than Keep, and keys left with
// none, so that no hash outlives the longest period by more than
// sweepEvery.
func (t *Tally) sweepLocked(now int64) {
	t.swept = now
	cutoff := now - int64(t.o.Keep)
	for k, kt := range t.keys {
		for h, m := range kt.seen {
			if m.at < cutoff {
				delete(kt.seen, h)
			}
		}
		if len(kt.seen) == 0 {
			delete(t.keys, k)
		}
	}
}

func (t *Tally) evictKeyLocked() {
	var oldest string
	at := int64(-1)
	for k, kt := range t.keys {
		if at < 0 || kt.touched < at {
			oldest, at = k, kt.touched
		}
	}
	delete(t.keys, oldest)
}
