// Package cache keeps decoded values in a memory store bounded in bytes and
// expiring after a TTL, optionally backed by a remote tier shared by
// replicas, and collapses concurrent loads of one value into a single call.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/cooloff"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBytes      = 16 << 20
	DefaultRemoteTimeout = 100 * time.Millisecond
	DefaultLoadTimeout   = 30 * time.Second
)

// entryOverhead approximates what otter and the map spend per entry beyond
// the caller's weight, so that many tiny entries still respect the bound.
const entryOverhead = 96

// ErrLoadPanicked is returned to every caller of a load that panicked.
var ErrLoadPanicked = errors.New("cache: load panicked")

// Options configure a Cache.
type Options[V any] struct {
	// Name labels the metrics and log lines: "search", "result", "jwks".
	Name string
	// MaxBytes bounds the memory the cache holds, by Weigh; 0 means DefaultMaxBytes.
	MaxBytes int64
	// TTL is how long a value is served; 0 disables caching (every Get
	// loads, concurrent identical Gets still share one load).
	TTL time.Duration
	// Weigh approximates the bytes of an entry, key included; required when TTL > 0.
	Weigh func(key string, v V) int
	// Remote is the shared tier; nil keeps the cache in memory only.
	Remote Remote
	// Codec encodes values for Remote; required when Remote is set.
	Codec Codec[V]
	// RemoteTimeout bounds each remote call; 0 means DefaultRemoteTimeout.
	RemoteTimeout time.Duration
	// RemoteGate is the remote's health gate, to be shared by everything
	// that calls the same store; nil gives the cache one of its own with
	// cooloff's defaults.
	RemoteGate *cooloff.Gate
	// LoadTimeout bounds a load, which outlives any one caller but not all
	// of them (see Get); 0 means DefaultLoadTimeout.
	LoadTimeout time.Duration
	// Registerer receives the cache_* metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger receives remote-tier warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. An injected clock also turns
	// off otter's once-a-second clean-up: expired entries are then never
	// served but are removed only as writes run maintenance.
	Now func() time.Time
}

// Cache is a read-through cache of V keyed by string. It is safe for
// concurrent use.
type Cache[V any] struct {
	name        string
	ttl         time.Duration
	maxBytes    int64
	weigh       func(string, V) int
	mem         *otter.Cache[string, entry[V]] // nil when TTL is 0
	remote      *remoteTier[V]                 // nil without a Remote or when TTL is 0
	flights     flights[V]
	loadTimeout time.Duration
	now         func() time.Time
	log         *slog.Logger
	m           *metrics
}

type entry[V any] struct {
	v         V
	expiresAt int64 // unix nanos
	weight    uint32
}

// filled is what one load shares with all its callers.
type filled[V any] struct {
	v    V
	tier tier
}

// New validates o and builds a Cache; call Close when done with it.
func New[V any](o Options[V]) (*Cache[V], error) {
	switch {
	case o.Name == "":
		return nil, errors.New("cache: Name is required")
	case o.TTL < 0 || o.MaxBytes < 0 || o.RemoteTimeout < 0 || o.LoadTimeout < 0:
		return nil, fmt.Errorf("cache %s: negative TTL, MaxBytes or timeout", o.Name)
	case o.TTL > 0 && o.Weigh == nil:
		return nil, fmt.Errorf("cache %s: Weigh is required to bound memory", o.Name)
	case o.Remote != nil && o.Codec == nil:
		return nil, fmt.Errorf("cache %s: Codec is required with a Remote", o.Name)
	}
	c := &Cache[V]{
		name:        o.Name,
		ttl:         o.TTL,
		maxBytes:    o.MaxBytes,
		weigh:       o.Weigh,
		loadTimeout: o.LoadTimeout,
		now:         o.Now,
		log:         o.Logger,
	}
	if c.maxBytes == 0 {
		c.maxBytes = DefaultMaxBytes
	}
	if c.loadTimeout == 0 {
		c.loadTimeout = DefaultLoadTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Name, o.Registerer, c.Stats)
	if err != nil {
		return nil, err
	}
	c.m = m
	if c.ttl == 0 {
		return c, nil
	}
	opts := &otter.Options[string, entry[V]]{
		MaximumWeight: uint64(c.maxBytes),
		Weigher:       func(_ string, e entry[V]) uint32 { return e.weight },
		// Each entry carries its own expiry: a value read from the remote
		// tier lives only for what is left of the TTL it was written with.
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, entry[V]]) time.Duration {
			return time.Duration(e.Value.expiresAt - c.now().UnixNano())
		}),
		// Atomic, so that evictions are counted by the time maintenance
		// returns; it only increments counters, which is safe under otter's
		// bucket lock.
		OnAtomicDeletion: func(e otter.DeletionEvent[string, entry[V]]) {
			switch e.Cause {
			case otter.CauseOverflow:
				m.evictSize.Inc()
			case otter.CauseExpiration:
				m.evictExpired.Inc()
			}
		},
		Logger: otterLogger{c.log},
	}
	if o.Now != nil {
		opts.Clock = otterClock{o.Now}
	}
	mem, err := otter.New(opts)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", o.Name, err)
	}
	c.mem = mem
	if o.Remote != nil {
		gate := o.RemoteGate
		if gate == nil {
			gate = cooloff.New(0, 0, c.now)
		}
		c.remote = &remoteTier[V]{
			r:       o.Remote,
			codec:   o.Codec,
			ttl:     c.ttl,
			timeout: orDefault(o.RemoteTimeout, DefaultRemoteTimeout),
			gate:    gate,
			now:     c.now,
			log:     c.log,
			name:    o.Name,
			errors:  m.remoteErrors.Inc,
		}
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Get returns the cached value for key, or calls load once for all
// concurrent callers with the same flightKey and caches a successful result;
// errors are never cached. hit reports that the value came from memory or the
// remote tier rather than from load. flightKey ("" means key) lets callers
// collapse loads per (tenant, key) while sharing the cached value across
// tenants; it must determine key, since callers that share a flight share
// its value.
//
// The load runs on a goroutine of its own, with the first caller's values
// and deadline (bounded by LoadTimeout) but not its cancellation, because
// its result belongs to every waiter: one impatient caller must not fail
// the others. Each caller waits on its own ctx and returns ctx.Err() when
// that ends first; when the last waiter has left, the load's context is
// cancelled, so work nobody waits for stops at once instead of running on
// to fill the cache. A caller whose flight ran out of its first caller's
// deadline while the caller still has time starts a load of its own.
func (c *Cache[V]) Get(ctx context.Context, key, flightKey string, load func(ctx context.Context) (V, error)) (v V, hit bool, err error) {
	if c.mem != nil {
		if e, ok := c.mem.GetIfPresent(key); ok {
			c.m.record(tierMemory)
			return e.v, true, nil
		}
	}
	if flightKey == "" {
		flightKey = key
	}
	for {
		if err := ctx.Err(); err != nil {
			return v, false, err
		}
		fl := c.flights.join(ctx, flightKey, c.loadTimeout, func(lctx context.Context) (filled[V], error) {
			return c.fill(lctx, key, load)
		})
		select {
		case <-fl.done:
		case <-ctx.Done():
			c.flights.leave(flightKey, fl)
			return v, false, ctx.Err()
		}
		if fl.err != nil {
			if fl.outlived(ctx) {
				continue
			}
			c.m.record(tierLoad)
			return v, false, fl.err
		}
		c.m.record(fl.f.tier)
		return fl.f.v, fl.f.tier != tierLoad, nil
	}
}

// Peek returns key's value when memory holds it, and nothing else: no
// remote tier, no load. It lets a caller skip setting up a load (a
// goroutine, a flight) for what is already at hand.
func (c *Cache[V]) Peek(key string) (V, bool) {
	if c.mem != nil {
		if e, ok := c.mem.GetIfPresent(key); ok {
			c.m.record(tierMemory)
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

// fill runs once per flight: memory again (a flight that just ended may have
// filled it), then the remote tier, then load.
func (c *Cache[V]) fill(ctx context.Context, key string, load func(context.Context) (V, error)) (f filled[V], err error) {
	if c.mem != nil {
		if e, ok := c.mem.GetIfPresent(key); ok {
			return filled[V]{e.v, tierMemory}, nil
		}
		if v, exp, ok := c.remote.get(ctx, key); ok {
			c.store(key, v, exp)
			return filled[V]{v, tierRemote}, nil
		}
	}
	v, err := c.guardedLoad(ctx, load)
	if err != nil {
		return f, err
	}
	if c.mem != nil {
		exp := c.now().Add(c.ttl)
		c.store(key, v, exp.UnixNano())
		c.remote.set(ctx, key, v, exp)
	}
	return filled[V]{v, tierLoad}, nil
}

// guardedLoad turns a panic into an error: on the flight's goroutine
// nothing could recover it and the process would die.
func (c *Cache[V]) guardedLoad(ctx context.Context, load func(context.Context) (V, error)) (v V, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("cache load panicked", "cache", c.name, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("cache %s: %w", c.name, ErrLoadPanicked)
		}
	}()
	return load(ctx)
}

// store puts v in memory unless it alone would exceed the bound (it would
// only push everything else out and then be evicted itself).
func (c *Cache[V]) store(key string, v V, expiresAt int64) {
	w := int64(c.weigh(key, v)) + entryOverhead
	if w > c.maxBytes || w > math.MaxUint32 {
		return
	}
	c.mem.Set(key, entry[V]{v: v, expiresAt: expiresAt, weight: uint32(w)})
}

// Delete drops key from memory. The remote tier has no delete: its copy
// expires on its own.
func (c *Cache[V]) Delete(key string) {
	if c.mem != nil {
		c.mem.Invalidate(key)
	}
}

// Stats reports the approximate number of entries and bytes held in memory.
func (c *Cache[V]) Stats() (entries int, bytes int64) {
	if c.mem == nil {
		return 0, 0
	}
	return c.mem.EstimatedSize(), int64(c.mem.WeightedSize())
}

// Close stops otter's periodic clean-up goroutine. The cache stays usable;
// Close exists so that the goroutine's end is explicit (and tests can check
// for leaks) rather than left to the garbage collector.
func (c *Cache[V]) Close() {
	if c.mem != nil {
		c.mem.StopAllGoroutines()
	}
}
