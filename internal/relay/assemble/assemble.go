// Package assemble builds the relay as the command runs it: the urlscan.io
// client, its search and result caches (in memory, backed by Redis when
// REDIS_URL is set), the book of submitted scans, the tally of lookups, and
// the relay service and the dashboard tiles on them. serve, the observe command, the server's
// tests and benchmarks all build it here, so that what they run is what
// production runs.
package assemble

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cache/rediscache"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/cooloff"
	"urlscan-relay/internal/lookups"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/tiles"
	"urlscan-relay/internal/urlscan"
)

// PerKeyConcurrency bounds the urlscan.io calls in flight for one API key
// (one SecureX tenant): enough for three full requests of the standard
// shape (4 searches, then 40 results) to go out in one wave each.
const PerKeyConcurrency = 128

// Options are what the relay takes besides its configuration.
type Options struct {
	Version    string                // the relay's version, in the User-Agent urlscan-relay/<Version>
	RootCAs    *x509.CertPool        // TLS trust of urlscan.io; nil: the system's
	Registerer prometheus.Registerer // where metrics are registered; nil: nowhere
	Logger     *slog.Logger          // nil: discard
	// Client, when set, changes the urlscan.io client's options after the
	// configuration has set them (tests cap documents and shorten retry
	// pauses); production leaves it nil.
	Client func(*urlscan.Options)
}

// Relay is the assembled relay. Close releases it.
type Relay struct {
	Client  *urlscan.Client // also the health check of /health
	Service *relay.Service
	Tiles   *tiles.Service // the dashboard tiles: quotas, recent scans, verdicts
	book    *scans.Book    // the scans submitted through the relay
	tally   *lookups.Tally // what was looked up, for the verdicts tile
	closers []func()
}

// Close stops the follow-ups, then the caches, the client and the Redis
// connection, in the reverse of the order they were made in.
func (r *Relay) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	r.closers = nil
}

// New builds the relay of cfg. Only a URL it cannot use is an error, and
// then what was built before is released; a Redis that does not answer is
// not (the relay starts without it and picks it up when it comes).
func New(ctx context.Context, cfg config.Config, o Options) (*Relay, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Relay{}
	if err := r.build(ctx, cfg, o); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Relay) build(ctx context.Context, cfg config.Config, o Options) error {
	var (
		store *rediscache.Store
		gate  *cooloff.Gate // Redis's health, shared by the caches, the scan book and the rate-limit marks
	)
	if cfg.RedisURL != "" {
		s, err := rediscache.Open(ctx, cfg.RedisURL, rediscache.Options{Timeout: cfg.RedisTimeout, Logger: o.Logger, Registerer: o.Registerer})
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		store, gate = s, cooloff.New(0, 0, nil)
		r.closers = append(r.closers, func() { _ = s.Close() })
	}
	client, err := newClient(cfg, o, store, gate)
	if err != nil {
		return err
	}
	r.Client = client
	r.closers = append(r.closers, client.Close)

	b := budgetOf(cfg)
	shared := tier{store: store, gate: gate, timeout: cfg.RedisTimeout, loadTimeout: cfg.RequestTimeout, reg: o.Registerer, logger: o.Logger}
	searches, err := addCache(r, shared, cache.Options[[]urlscan.Hit]{
		Name: "search", MaxBytes: b.searchBytes, TTL: b.searchTTL, Weigh: relay.WeighHits, Codec: relay.HitsCodec{},
	})
	if err != nil {
		return err
	}
	results, err := addCache(r, shared, cache.Options[*urlscan.Result]{
		Name: "result", MaxBytes: b.resultBytes, TTL: b.resultTTL, Weigh: relay.WeighResult, Codec: relay.ResultCodec{},
	})
	if err != nil {
		return err
	}

	bookOpts := scans.Options{Logger: o.Logger, Keep: tiles.LongestPeriod}
	if store != nil {
		bookOpts.Remote, bookOpts.Timeout, bookOpts.Gate = store.Scans(), cfg.RedisTimeout, gate
	}
	r.book = scans.New(bookOpts)
	r.tally = lookups.New(lookups.Options{Keep: tiles.LongestPeriod})
	up := relay.NewCached(client, searches, results, relay.SharedResults(cfg.ShareResults)).WithGenerations(r.book)
	r.Service = relay.New(up, r.relayConfig(cfg, o.Logger))
	r.Tiles = tiles.New(tiles.Deps{Quotas: client, Scans: r.book, Lookups: r.tally, UIURL: cfg.URLScanUIURL})
	// Follow-ups end first: they use the client and the caches.
	r.closers = append(r.closers, r.Service.Close)
	return nil
}

// relayConfig is what the relay service is told of cfg.
func (r *Relay) relayConfig(cfg config.Config, logger *slog.Logger) relay.Config {
	return relay.Config{
		UIURL:                cfg.URLScanUIURL,
		Visibilities:         cfg.ScanVisibilities,
		AllowPrivate:         cfg.ScanAllowPrivate,
		ResultsPerObservable: cfg.ResultsPerObservable,
		ResultsPerRequest:    cfg.ResultsPerRequest,
		ScanTags:             cfg.ScanTags,
		ScanCountry:          cfg.ScanCountry,
		ScanDeny:             cfg.ScanDeny,
		FollowUp:             relay.FollowUp{Book: r.book, Wait: cfg.ScanWait, Logger: logger},
		Lookups:              r.tally,
	}
}

// newClient is the urlscan.io client of cfg; with Redis, its rate-limit
// marks are shared with the other replicas.
func newClient(cfg config.Config, o Options, store *rediscache.Store, gate *cooloff.Gate) (*urlscan.Client, error) {
	opts := urlscan.Options{
		BaseURL:           cfg.URLScanAPIURL,
		PerKeyConcurrency: PerKeyConcurrency,
		Timeout:           cfg.URLScanTimeout,
		UserAgent:         "urlscan-relay/" + o.Version,
		RootCAs:           o.RootCAs,
		Registerer:        o.Registerer,
		Logger:            o.Logger,
	}
	if store != nil {
		logger := o.Logger
		opts.Limits = urlscan.NewSharedLimits(store.Limits(), gate, nil, func(err error) {
			logger.Warn("shared rate-limit store unavailable; using this replica's own marks", "error", err)
		})
	}
	if o.Client != nil {
		o.Client(&opts)
	}
	return urlscan.New(opts)
}

// cacheBudget is the memory and lifetime of each cache.
type cacheBudget struct {
	searchBytes, resultBytes int64
	searchTTL, resultTTL     time.Duration
}

// budgetOf splits CACHE_MAX_MB between the caches: searches are few and
// small next to the result documents they list, and get a quarter.
// CACHE_MAX_MB=0 means no cache at all: a TTL of 0 keeps nothing, in
// memory or in Redis.
func budgetOf(cfg config.Config) cacheBudget {
	b := cacheBudget{searchTTL: cfg.SearchCacheTTL, resultTTL: cfg.ResultCacheTTL}
	if cfg.CacheMaxMB == 0 {
		b.searchTTL, b.resultTTL = 0, 0
	}
	b.searchBytes = cfg.CacheBytes() / 4
	b.resultBytes = cfg.CacheBytes() - b.searchBytes
	return b
}

// tier is what the relay's caches share: Redis, its health gate and the
// bound of one call to it (REDIS_TIMEOUT; nil without Redis), the bound of
// a load, metrics and logs.
type tier struct {
	store       *rediscache.Store
	gate        *cooloff.Gate
	timeout     time.Duration
	loadTimeout time.Duration
	reg         prometheus.Registerer
	logger      *slog.Logger
}

// addCache makes the cache of o on t, to be closed with r.
func addCache[V any](r *Relay, t tier, o cache.Options[V]) (*cache.Cache[V], error) {
	if t.store != nil {
		o.Remote, o.RemoteGate, o.RemoteTimeout = t.store.Remote(o.Name), t.gate, t.timeout
	}
	o.LoadTimeout, o.Registerer, o.Logger = t.loadTimeout, t.reg, t.logger
	c, err := cache.New(o)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, c.Close)
	return c, nil
}
