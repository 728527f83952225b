package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"urlscan-relay/internal/auth"
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

// perKeyConcurrency bounds the urlscan.io calls in flight for one API key
// (one SecureX tenant): enough for three full requests of the standard
// shape (4 searches, then 40 results) to go out in one wave each.
const perKeyConcurrency = 128

// relayParts are the pieces serve and observe share.
type relayParts struct {
	client *urlscan.Client
	relay  *relay.Service
	book   *scans.Book
	tally  *lookups.Tally
	close  func()
}

// newLogger builds the slog logger of LOG_LEVEL and LOG_FORMAT.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newRegistry returns a metrics registry with the Go runtime and process
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// rootCAs returns the system trust store plus SSL_CERT_FILE and the PEM
// files of SSL_CERT_DIR, read through the injected configuration so that
// trust is as explicit as every other setting.
func rootCAs(cfg config.Config) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	var files []string
	if cfg.SSLCertFile != "" {
		files = append(files, cfg.SSLCertFile)
	}
	for _, dir := range filepath.SplitList(cfg.SSLCertDir) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("SSL_CERT_DIR: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("SSL_CERT_FILE: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) && f == cfg.SSLCertFile {
			return nil, fmt.Errorf("SSL_CERT_FILE: %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// newVerifier builds the token verifier of JWKS_HOSTS and
// CONFIGURATION_TOKEN_KEY.
func newVerifier(cfg config.Config, roots *x509.CertPool, reg prometheus.Registerer, logger *slog.Logger) (*auth.Verifier, error) {
	var shared []byte
	if cfg.ConfigurationTokenKey != "" {
		shared = []byte(cfg.ConfigurationTokenKey)
	}
	v, err := auth.New(auth.Options{
		AllowedHosts: cfg.JWKSHosts,
		SharedKey:    shared,
		RootCAs:      roots,
		Registerer:   reg,
		Logger:       logger,
	})
	if err != nil {
		return nil, fmt.Errorf("JWKS_HOSTS or CONFIGURATION_TOKEN_KEY: %w", err)
	}
	return v, nil
}

// newRelay builds the urlscan.io client, its caches (in memory, backed by
// Redis when REDIS_URL is set) and the relay service on them.
func newRelay(ctx context.Context, cfg config.Config, roots *x509.CertPool, reg prometheus.Registerer, logger *slog.Logger) (*relayParts, error) {
	var closers []func()
	parts := &relayParts{close: func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}}
	var (
		store *rediscache.Store
		gate  *cooloff.Gate // Redis's health, shared by the caches and the rate-limit marks
	)
	if cfg.RedisURL != "" {
		s, err := rediscache.Open(ctx, cfg.RedisURL, rediscache.Options{Timeout: cfg.RedisTimeout, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		store, gate = s, cooloff.New(0, 0, nil)
		closers = append(closers, func() { _ = s.Close() })
	}
	opts := urlscan.Options{
		BaseURL:           cfg.URLScanAPIURL,
		PerKeyConcurrency: perKeyConcurrency,
		Timeout:           cfg.URLScanTimeout,
		UserAgent:         "urlscan-relay/" + version,
		RootCAs:           roots,
		Registerer:        reg,
		Logger:            logger,
	}
	if store != nil {
		opts.Limits = urlscan.NewSharedLimits(store.Limits(), gate, nil, func(err error) {
			logger.Warn("shared rate-limit store unavailable; using this replica's own marks", "error", err)
		})
	}
	client, err := urlscan.New(opts)
	if err != nil {
		parts.close()
		return nil, err
	}
	closers = append(closers, client.Close)
	parts.client = client

	searchTTL, resultTTL := cfg.SearchCacheTTL, cfg.ResultCacheTTL
	if cfg.CacheMaxMB == 0 {
		searchTTL, resultTTL = 0, 0
	}
	// Searches are few and small next to the result documents they list.
	searchBytes := cfg.CacheBytes() / 4
	searches, err := cache.New(cache.Options[[]urlscan.Hit]{
		Name: "search", MaxBytes: searchBytes, TTL: searchTTL, Weigh: relay.WeighHits,
		Remote: remote(store, "search"), RemoteGate: gate, RemoteTimeout: cfg.RedisTimeout, Codec: relay.HitsCodec{},
		LoadTimeout: cfg.RequestTimeout, Registerer: reg, Logger: logger,
	})
	if err != nil {
		parts.close()
		return nil, err
	}
	closers = append(closers, searches.Close)
	results, err := cache.New(cache.Options[*urlscan.Result]{
		Name: "result", MaxBytes: cfg.CacheBytes() - searchBytes, TTL: resultTTL, Weigh: relay.WeighResult,
		Remote: remote(store, "result"), RemoteGate: gate, RemoteTimeout: cfg.RedisTimeout, Codec: relay.ResultCodec{},
		LoadTimeout: cfg.RequestTimeout, Registerer: reg, Logger: logger,
	})
	if err != nil {
		parts.close()
		return nil, err
	}
	closers = append(closers, results.Close)
	bookOpts := scans.Options{Logger: logger}
	if store != nil {
		bookOpts.Remote, bookOpts.Timeout, bookOpts.Gate = store.Scans(), cfg.RedisTimeout, gate
	}
	bookOpts.Keep = tiles.LongestPeriod
	book := scans.New(bookOpts)
	parts.book = book
	parts.tally = lookups.New(lookups.Options{Keep: tiles.LongestPeriod})
	parts.relay = relay.New(relay.NewCached(client, searches, results, relay.SharedResults(cfg.ShareResults)).WithGenerations(book), relay.Config{
		UIURL:                cfg.URLScanUIURL,
		Visibilities:         cfg.ScanVisibilities,
		AllowPrivate:         cfg.ScanAllowPrivate,
		ResultsPerObservable: cfg.ResultsPerObservable,
		ResultsPerRequest:    cfg.ResultsPerRequest,
		ScanTags:             cfg.ScanTags,
		ScanCountry:          cfg.ScanCountry,
		ScanDeny:             cfg.ScanDeny,
		FollowUp:             relay.FollowUp{Book: book, Wait: cfg.ScanWait, Logger: logger},
		Lookups:              parts.tally,
	})
	// Follow-ups end first: they use the client and the caches.
	closers = append(closers, parts.relay.Close)
	return parts, nil
}

// remote is the Redis tier of one cache, or nil without Redis.
func remote(store *rediscache.Store, name string) cache.Remote {
	if store == nil {
		return nil
	}
	return store.Remote(name)
}
