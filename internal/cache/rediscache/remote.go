package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// remote is a cache.Remote over one key namespace. Its commands end at
// ctx's deadline: the cache, its one caller, bounds every call by its
// RemoteTimeout (REDIS_TIMEOUT, as the Store's own), so a second timer
// here would only repeat it; a ctx without a deadline still meets the
// socket timeouts.
type remote struct {
	s      *Store
	prefix string
}

// Get returns the value at key; found is false when Redis has none.
func (r *remote) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.s.client.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rediscache: get: %w", err)
	}
	return b, true, nil
}

// Set stores val at key for ttl, which must be positive: nothing is kept
// forever.
func (r *remote) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("rediscache: set: ttl %v is not positive", ttl)
	}
	if err := r.s.client.Set(ctx, r.prefix+key, val, ttl).Err(); err != nil {
		return fmt.Errorf("rediscache: set: %w", err)
	}
	return nil
}

// GetMany returns the values at keys in one MGET, nil where Redis has
// none: a request's lookups cost one round trip instead of one each.
func (r *remote) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	vals, err := r.s.client.MGet(ctx, full...).Result()
	if err != nil {
		return nil, fmt.Errorf("rediscache: mget: %w", err)
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("rediscache: mget: %d values for %d keys", len(vals), len(keys))
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			out[i] = []byte(v)
		default:
			return nil, fmt.Errorf("rediscache: mget: a value of type %T", v)
		}
	}
	return out, nil
}
