// Package rediscache puts the relay's shared state in Redis: the remote tier
// of the search and result caches, and the per-key "rate limited until" marks
// that let every replica fail fast once urlscan.io has answered 429.
//
// Redis is an optimisation, never a dependency of an answer: Open succeeds
// while Redis is down (the client dials lazily, on each command), every
// command is bounded by a short timeout, and every failure is an error the
// caller degrades on.
package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cooloff"
)

// Defaults for the zero values of Options.
const (
	DefaultKeyPrefix = "urlscan-relay:v2:"
	DefaultTimeout   = 100 * time.Millisecond
	// socketTimeout guards dials and socket reads and writes; the per-command
	// Timeout is usually the tighter bound.
	socketTimeout = 250 * time.Millisecond
	// startupPing bounds the one ping Open makes to report Redis's state.
	startupPing = time.Second
)

// Options configure a Store.
type Options struct {
	// KeyPrefix starts every key; the version in the default lets a release
	// that changes the stored format ignore older data.
	KeyPrefix string
	// Timeout bounds each command of Ping and Limits, and is the floor of
	// the socket timeouts; 0 means DefaultTimeout. The commands of the
	// cache tiers (Remote) and of the scan log (Scans) end at their
	// caller's bound instead (cache.Options.RemoteTimeout,
	// scans.Options.Timeout), which the relay sets to the same: one timer
	// per command.
	Timeout time.Duration
	// Logger receives the start-up state of Redis and the values refused
	// for their size; nil discards them.
	Logger *slog.Logger
	// Registerer receives redis_values_oversized_total; nil registers
	// nothing.
	Registerer prometheus.Registerer
	// Now is the clock for rate-limit marks and for the period of the
	// oversized-value warnings; nil means time.Now.
	Now func() time.Time
}

// Store is a connection pool to one Redis, safe for concurrent use.
type Store struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	// tooLarge counts the values past their bound (oversized.go), and
	// tooLargeLog lets one be logged at most every 30 s.
	tooLarge    *prometheus.CounterVec
	tooLargeLog *cooloff.Gate
}

// Open parses rawURL (redis://[user:password@]host:port/db or rediss://...;
// query options of go-redis's ParseURL may override the timeouts) and returns
// a Store. Only an invalid URL (or metrics already registered on
// o.Registerer) is an error: when Redis does not answer, Open
// logs a warning and returns the Store anyway, and each later command dials
// again, so the relay starts without Redis and picks it up when it comes.
// Open waits at most about a second.
func Open(ctx context.Context, rawURL string, o Options) (*Store, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// Neither url.Error (the whole URL, password included) nor
		// go-redis's errors (a query option's value) are quoted.
		return nil, errors.New("rediscache: not a valid Redis URL (check its scheme, host, database number and query options)")
	}
	s := &Store{prefix: o.KeyPrefix, timeout: o.Timeout, now: o.Now}
	if s.prefix == "" {
		s.prefix = DefaultKeyPrefix
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.log, s.tooLargeLog = log, cooloff.New(0, 0, s.now)
	if s.tooLarge, err = newOversized(o.Registerer); err != nil {
		return nil, err
	}
	// go-redis cuts a command at the earlier of its context's deadline and
	// the socket timeout, so the socket timeouts must not undercut Timeout.
	for _, d := range []*time.Duration{&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout} {
		if *d == 0 {
			*d = max(socketTimeout, s.timeout)
		}
	}
	// Commands carry a deadline from s.timeout, so socket I/O follows it.
	opts.ContextTimeoutEnabled = true
	// A cache lookup is cheaper to miss than to retry: one retry covers a
	// pooled connection that Redis closed (a restart); go-redis's default of
	// five dial attempts 100 ms apart would hold each command far past its
	// deadline while Redis is down.
	opts.MaxRetries = 1
	opts.MinRetryBackoff = 2 * time.Millisecond
	opts.MaxRetryBackoff = 20 * time.Millisecond
	opts.DialerRetries = 1
	// Spare each new connection the CLIENT SETINFO and maintenance
	// notification handshakes: neither matters to a cache.
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s.client = redis.NewClient(opts)

	pctx, cancel := context.WithTimeout(ctx, startupPing)
	defer cancel()
	if err := s.client.Ping(pctx).Err(); err != nil {
		log.Warn("redis is not answering; shared caches and rate-limit marks are off until it does",
			"addr", opts.Addr, "db", opts.DB, "err", err)
	} else {
		log.Info("redis connected", "addr", opts.Addr, "db", opts.DB)
	}
	return s, nil
}

// Ping checks that Redis answers within the command timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("rediscache: ping: %w", err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("rediscache: close: %w", err)
	}
	return nil
}

// Remote returns the cache tier for one cache, its keys namespaced as
// "<KeyPrefix><name>:<key>", e.g. "urlscan-relay:v2:search:<key>".
// Its values are bounded by name's kind (bounds.go).
func (s *Store) Remote(name string) cache.Remote {
	return &remote{s: s, prefix: s.prefix + name + ":", kind: name, max: valueBound(name)}
}

// Limits returns the rate-limit marks shared by every replica.
func (s *Store) Limits() *Limits {
	return &Limits{s: s, prefix: s.prefix + kindLimit + ":", block: redis.NewScript(blockScript)}
}
