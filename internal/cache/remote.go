package cache

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"urlscan-relay/internal/cooloff"
)

// Remote is a tier shared by replicas (Redis). Get reports found=false with a
// nil error for an absent key. Implementations must honour ctx's deadline.
type Remote interface {
	Get(ctx context.Context, key string) (val []byte, found bool, err error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
}

// remoteTier wraps a Remote so that its failures never reach a caller: every
// call is bounded by a short timeout, and the remote's health gate (shared
// with everything else that calls the same store) skips it for a cool-off
// after a failure (a hung Redis would otherwise add the timeout to every
// load) and lets a failure be logged at most once per period.
type remoteTier[V any] struct {
	r       Remote
	codec   Codec[V]
	ttl     time.Duration // the cache's TTL: no value read lives longer
	timeout time.Duration
	gate    *cooloff.Gate
	now     func() time.Time
	log     *slog.Logger
	name    string
	errors  func()
}

// get returns the value and its absolute expiry (unix nanos); ok=false on
// absence, expiry, failure or an undecodable value.
func (t *remoteTier[V]) get(ctx context.Context, key string) (v V, expiresAt int64, ok bool) {
	if t == nil || !t.usable() {
		return v, 0, false
	}
	rctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	b, found, err := t.r.Get(rctx, key)
	if err != nil {
		// A load abandoned by its callers is no sign of a failing remote.
		if ctx.Err() == nil {
			t.failed("get", err, true)
		}
		return v, 0, false
	}
	if !found {
		return v, 0, false
	}
	return t.decode(b, t.now())
}

// errBatchLength is a batch read that answered another number of values
// than keys asked.
var errBatchLength = errors.New("cache: remote batch read answered the wrong number of values")

// set writes v with its absolute expiry; failures are only counted and logged.
func (t *remoteTier[V]) set(ctx context.Context, key string, v V, expiresAt time.Time) {
	if t == nil || !t.usable() {
		return
	}
	ttl := expiresAt.Sub(t.now())
	if ttl <= 0 {
		return
	}
	payload, err := t.codec.Marshal(v)
	if err != nil {
		t.failed("encode", err, false)
		return
	}
	// The value is already paid for: store it even when every caller has
	// left meanwhile, within the remote's own timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.timeout)
	defer cancel()
	if err := t.r.Set(ctx, key, seal(payload, expiresAt.UnixMilli()), ttl); err != nil {
		t.failed("set", err, true)
	}
}

func (t *remoteTier[V]) usable() bool {
	return t.gate.Open()
}

// failed counts a remote failure; unavailable ones (as opposed to bad data)
// start the cool-off. The log line names the cache and the operation, never
// the key.
func (t *remoteTier[V]) failed(op string, err error, unavailable bool) {
	t.errors()
	report, suppressed := t.gate.Failed(unavailable)
	if !report {
		return
	}
	t.log.Warn("cache remote tier failed; serving from memory and origin",
		"cache", t.name, "op", op, "err", err, "suppressed", suppressed)
}
