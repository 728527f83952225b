package rediscache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits holds, per (keyID, action), the time until which urlscan.io refuses
// calls, so that one replica's 429 stops all of them. A mark is a string of
// Unix milliseconds under "<KeyPrefix>limit:<keyID>:<action>" that Redis
// expires at that time. keyID identifies an API key and must not be one (use
// a hash of it): it is stored in the key name in clear.
//
// Limits satisfies urlscan.LimitStore.
type Limits struct {
	s      *Store
	prefix string
	block  *redis.Script
}

// blockScript keeps the later of the existing and the new mark, so that a
// replica that saw an older, shorter reset cannot shorten a block. Its expiry
// is relative (PX) so that Redis's clock does not matter.
const blockScript = `
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

// BlockedUntil returns the mark for (keyID, action), or the zero time when
// there is none. A mark past maxMarkBytes is none: it is never read whole.
func (l *Limits) BlockedUntil(ctx context.Context, keyID, action string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	vals, err := l.s.boundedGet(ctx, kindLimit, maxMarkBytes, []string{l.key(keyID, action)})
	if err != nil {
		return time.Time{}, fmt.Errorf("rediscache: read rate-limit mark: %w", err)
	}
	if vals[0] == nil {
		// None, or one past the bound (counted): no number of 20 digits.
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(string(vals[0]), 10, 64)
	if err != nil {
		return time.Time{}, errors.New("rediscache: read rate-limit mark: not a number")
	}
	return time.UnixMilli(ms), nil
}

// Block marks (keyID, action) as refused until until, unless a later mark
// exists; a time already past is ignored.
func (l *Limits) Block(ctx context.Context, keyID, action string, until time.Time) error {
	ttl := until.Sub(l.s.now()).Milliseconds()
	if ttl <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.s.timeout)
	defer cancel()
	err := l.block.Run(ctx, l.s.client, []string{l.key(keyID, action)}, until.UnixMilli(), ttl).Err()
	if err != nil {
		return fmt.Errorf("rediscache: write rate-limit mark: %w", err)
	}
	return nil
}

func (l *Limits) key(keyID, action string) string {
	return l.prefix + keyID + ":" + action
}
