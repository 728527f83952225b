package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/server"
)

// Server limits: generous for SecureX, tight for a client that dawdles.
const (
	readHeaderTimeout = 5 * time.Second
	maxHeaderBytes    = 64 << 10

	// metricsConnections bounds the connections of the metrics listener,
	// which only scrapers use.
	metricsConnections = 64

	// softMemoryHeadroomMB is the memory, beyond the caches, that the
	// default soft memory limit leaves for requests in flight.
	softMemoryHeadroomMB = 48

	// gcPercent is the GOGC serve runs with under its soft memory limit.
	// Measured side by side with the default 100 (docs/BENCHMARKS.md):
	// warm throughput 1.66 times, cold CPU per request 0.84 times, peak
	// RSS under 8 cold clients 72 MiB against 64 (the bar is 80), and
	// unchanged at 256 clients, where the limit rules.
	gcPercent = 300
)

// gcSettings are what main sets of the Go collector for serve; a zero
// field leaves the runtime's own.
type gcSettings struct {
	memoryLimit int64 // bytes
	gcPercent   int
}

// collector returns the collector settings serve runs under, the demo
// (which is serve) included. Unless
// GOMEMLIMIT is set, a soft memory limit of CACHE_MAX_MB + 48 MiB: the
// caches are most of the live heap, and without a limit the collector lets
// the heap grow to twice what is live. Unless GOGC is set, and while a
// memory limit holds (this one, or GOMEMLIMIT other than off),
// GOGC=gcPercent: at the default GOGC=100 the collector took 14 % of a warm
// request's CPU (docs/BENCHMARKS.md), while the limit alone holds the
// memory bound. args and getenv are run's; the configuration read
// here is read again by run, which reports it if it is bad.
func collector(args []string, getenv func(string) string) gcSettings {
	if len(args) > 1 && args[1] != "serve" && args[1] != "demo" {
		return gcSettings{} // the one-shot commands run briefly
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return gcSettings{}
	}
	var s gcSettings
	if !cfg.GoMemLimitSet {
		s.memoryLimit = int64(cfg.CacheMaxMB+softMemoryHeadroomMB) << 20
	}
	if !cfg.GoGCSet && !cfg.GoMemLimitOff {
		s.gcPercent = gcPercent
	}
	return s
}

// serveHooks are what the demo changes about serve; the zero value is
// production.
type serveHooks struct {
	demo      bool                 // mark logs and / as a demo
	host      string               // the address to listen on; "": every interface
	trustPEM  []byte               // extra trusted certificates (the demo's token issuer)
	listening func(addr net.Addr)  // called once the listener is open
	configure func(*config.Config) // changes the loaded configuration
}

// serve runs the HTTP relay until ctx ends; then it fails /readyz and keeps
// serving for SHUTDOWN_DELAY, stops accepting, and lets in-flight requests
// finish within SHUTDOWN_TIMEOUT.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer, hooks serveHooks) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if hooks.configure != nil {
		hooks.configure(&cfg)
	}
	logger := newLogger(cfg, stdout)
	if hooks.demo {
		logger = logger.With("demo", true)
	}
	roots, err := rootCAs(cfg)
	if err != nil {
		return err
	}
	if hooks.trustPEM != nil && !roots.AppendCertsFromPEM(hooks.trustPEM) {
		return errors.New("demo: the token issuer's certificate is not PEM")
	}
	reg := newRegistry()
	rel, err := assemble.New(ctx, cfg, assemble.Options{Version: version, RootCAs: roots, Registerer: reg, Logger: logger})
	if err != nil {
		return err
	}
	defer rel.Close()
	verifier, err := newVerifier(cfg, roots, reg, logger)
	if err != nil {
		return err
	}
	var draining atomic.Bool
	deps := server.Deps{
		Config:     cfg,
		Version:    version,
		Demo:       hooks.demo,
		Relay:      rel.Service,
		Tiles:      rel.Tiles,
		Verifier:   verifier,
		Check:      rel.Client.Check,
		Ready:      func() bool { return !draining.Load() },
		Logger:     logger,
		Registerer: reg,
	}
	if cfg.MetricsOnMain() {
		deps.Gatherer = reg
	}
	handler, err := server.New(deps)
	if err != nil {
		return err
	}
	limit, clamped := connectionLimit(cfg.MaxConnections, openFileLimit())
	if clamped {
		logger.Warn("MAX_CONNECTIONS lowered to leave files for outbound calls", "max_connections", limit)
	}
	conns, err := server.NewConns(limit, reg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(hooks.host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	srv := newHTTPServer(cfg, handler, conns, logger)
	logger.Info("listening", "addr", ln.Addr().String(), "version", version, "base_path", cfg.BasePath, "max_connections", limit)
	if hooks.listening != nil {
		hooks.listening(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(conns.Listen(ln)) }()

	var metrics *metricsServer
	if !cfg.MetricsOnMain() {
		metrics, err = serveMetrics(cfg, reg, logger)
		if err != nil {
			_ = srv.Close()
			<-served
			return err
		}
		defer metrics.stop(ctx)
	}

	select {
	case err := <-served:
		return err
	case <-metrics.stopped():
		_ = srv.Close()
		<-served
		return fmt.Errorf("METRICS_ADDR: %w", metrics.err)
	case <-ctx.Done():
	}
	draining.Store(true)
	if err := delayShutdown(srv, served, cfg.ShutdownDelay, logger); err != nil {
		return err
	}
	return shutdown(ctx, srv, served, cfg.ShutdownTimeout, logger)
}

// newHTTPServer is the relay's HTTP server for handler, its connections
// counted and capped by conns.
func newHTTPServer(cfg config.Config, handler http.Handler, conns *server.Conns, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(readHeaderTimeout, cfg.RequestTimeout),
		// A body may take a while on a slow link, but never longer than a
		// request may take as a whole.
		ReadTimeout:    cfg.RequestTimeout,
		WriteTimeout:   cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:    cfg.IdleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slogErrorLog(logger),
	}
	conns.Configure(srv)
	return srv
}

// delayShutdown keeps serving for delay while /readyz answers 503.
// Kubernetes signals a pod at the same time as it starts taking it out of
// its Service endpoints, and load balancers route new connections to it
// until they catch up: closing the listener at once would refuse them.
// Keep-alives are off meanwhile, so that clients holding a connection open
// a new one, which lands on another replica once the endpoints are updated.
func delayShutdown(srv *http.Server, served <-chan error, delay time.Duration, logger *slog.Logger) error {
	if delay <= 0 {
		return nil
	}
	logger.Info("draining", "delay", delay.String())
	srv.SetKeepAlivesEnabled(false)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-t.C:
		return nil
	}
}

// shutdown stops accepting and waits up to timeout for in-flight requests.
// A clean drain is not an error; requests still running at the timeout are
// cut off and make it one, so that the exit status tells.
func shutdown(ctx context.Context, srv *http.Server, served <-chan error, timeout time.Duration, logger *slog.Logger) error {
	logger.Info("shutting down", "timeout", timeout.String())
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
		<-served
		return fmt.Errorf("shutdown: requests still running after SHUTDOWN_TIMEOUT (%s): %w", timeout, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
