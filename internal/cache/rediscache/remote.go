package rediscache

import (
	"context"
	"fmt"
	"time"
)

// remote is a cache.Remote over one key namespace. Its commands end at
// ctx's deadline: the cache, its one caller, bounds every call by its
// RemoteTimeout (REDIS_TIMEOUT, as the Store's own), so a second timer
// here would only repeat it; a ctx without a deadline still meets the
// socket timeouts. Its values are held to max bytes both ways
// (bounds.go): one past it is absent when read, and not written.
type remote struct {
	s      *Store
	prefix string
	kind   string
	max    int
}

// Get returns the value at key; found is false when Redis has none, or
// one past the bound.
func (r *remote) Get(ctx context.Context, key string) ([]byte, bool, error) {
	vals, err := r.s.boundedGet(ctx, r.kind, r.max, []string{r.prefix + key})
	if err != nil {
		return nil, false, fmt.Errorf("rediscache: get: %w", err)
	}
	return vals[0], vals[0] != nil, nil
}

// Set stores val at key for ttl, which must be positive: nothing is kept
// forever. A value past the bound is counted and not stored, without an
// error: Redis is not failing, and the cache keeps the value in memory.
func (r *remote) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("rediscache: set: ttl %v is not positive", ttl)
	}
	if !r.s.fits(r.kind, val, r.max) {
		return nil
	}
	if err := r.s.client.Set(ctx, r.prefix+key, val, ttl).Err(); err != nil {
		return fmt.Errorf("rediscache: set: %w", err)
	}
	return nil
}

// GetMany returns the values at keys in one round trip, nil where Redis
// has none or one past the bound: a request's lookups cost one round trip
// instead of one each.
func (r *remote) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	vals, err := r.s.boundedGet(ctx, r.kind, r.max, full)
	if err != nil {
		return nil, fmt.Errorf("rediscache: get many: %w", err)
	}
	return vals, nil
}
