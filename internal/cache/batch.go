package cache

import (
	"context"
	"slices"
	"time"
)

// BatchRemote is a Remote that can read many keys in one round trip
// (Redis MGET). GetMany returns one value per key, nil for an absent one.
type BatchRemote interface {
	Remote
	GetMany(ctx context.Context, keys []string) ([][]byte, error)
}

// maxBatch bounds the keys of one remote read; a request's lookups are
// fewer (4 searches, or 40 results, in the standard request).
const maxBatch = 1000

// Prefetch brings the keys that memory lacks from the remote tier into
// memory in one round trip, so that the Peeks and Gets that follow find
// them there instead of asking the remote one key at a time; what a
// replica read stays in its memory, for what is left of its TTL. It does
// nothing without a BatchRemote, and it never fails: a key it could not
// bring is left to Get. It returns how many keys it brought.
func (c *Cache[V]) Prefetch(ctx context.Context, keys []string) int {
	br, ok := c.batchRemote()
	if !ok {
		return 0
	}
	// Sorted, a key's repeats sit together and Compact drops them without
	// a set; the order of a batch read does not matter. The copy leaves
	// the caller's keys as they were.
	missing := slices.Clone(keys)
	slices.Sort(missing)
	missing = slices.Compact(missing)
	missing = slices.DeleteFunc(missing, func(k string) bool {
		_, ok := c.mem.GetIfPresent(k)
		return ok
	})
	n := 0
	for len(missing) > 0 {
		batch := missing[:min(len(missing), maxBatch)]
		missing = missing[len(batch):]
		n += c.remote.getMany(ctx, br, batch, c.store)
	}
	return n
}

// getMany reads keys in one call and hands each value found, decoded and
// unexpired, to keep with its absolute expiry (unix nanos).
func (t *remoteTier[V]) getMany(ctx context.Context, br BatchRemote, keys []string, keep func(key string, v V, expiresAt int64)) int {
	if !t.usable() {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	vals, err := br.GetMany(ctx, keys)
	if err != nil {
		t.failed("get", err, true)
		return 0
	}
	if len(vals) != len(keys) {
		t.failed("get", errBatchLength, true)
		return 0
	}
	n := 0
	now := t.now()
	for i, b := range vals {
		if b == nil {
			continue
		}
		v, expiresAt, ok := t.decode(b, now)
		if !ok {
			continue
		}
		keep(keys[i], v, expiresAt)
		n++
	}
	return n
}

// decode opens one remote value read at now: ok is false, and the failure
// counted, when it is undecodable; false too when it has expired.
func (t *remoteTier[V]) decode(b []byte, now time.Time) (v V, expiresAt int64, ok bool) {
	payload, expMs, err := open(b)
	if err != nil {
		t.failed("decode", err, false)
		return v, 0, false
	}
	// The expiry comes from Redis, so it is untrusted like the rest: a
	// value never lives longer than a fresh load would (a claimed expiry
	// years ahead would otherwise outlive Redis's own copy for good).
	// Clamped in milliseconds, before a huge value could overflow nanoseconds.
	expMs = min(expMs, now.Add(t.ttl).UnixMilli())
	expiresAt = time.UnixMilli(expMs).UnixNano()
	if expiresAt <= now.UnixNano() {
		return v, 0, false
	}
	v, err = t.codec.Unmarshal(payload)
	if err != nil {
		// A value written by an incompatible release, most likely; the load
		// that follows overwrites it.
		t.failed("decode", err, false)
		return v, 0, false
	}
	return v, expiresAt, true
}

// Prefetches reports whether Prefetch can bring anything: a caller may
// then skip building the keys.
func (c *Cache[V]) Prefetches() bool {
	_, ok := c.batchRemote()
	return ok
}

// batchRemote is the remote tier that Prefetch reads, when memory and a
// BatchRemote are both there.
func (c *Cache[V]) batchRemote() (BatchRemote, bool) {
	if c.mem == nil || c.remote == nil {
		return nil, false
	}
	br, ok := c.remote.r.(BatchRemote)
	return br, ok
}
