package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/server"
)

// Server limits: generous for SecureX, tight for a client that dawdles.
const (
	readHeaderTimeout = 5 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 64 << 10
)

// serve runs the HTTP relay until ctx ends, then drains in-flight requests
// within SHUTDOWN_TIMEOUT.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)
	roots, err := rootCAs(cfg)
	if err != nil {
		return err
	}
	reg := newRegistry()
	parts, err := newRelay(ctx, cfg, roots, reg, logger)
	if err != nil {
		return err
	}
	defer parts.close()
	verifier, err := auth.New(auth.Options{
		AllowedHosts: cfg.JWKSHosts,
		RootCAs:      roots,
		Registerer:   reg,
		Logger:       logger,
	})
	if err != nil {
		return fmt.Errorf("JWKS_HOSTS: %w", err)
	}
	var draining atomic.Bool
	handler, err := server.New(server.Deps{
		Config:     cfg,
		Version:    version,
		Relay:      parts.relay,
		Verifier:   verifier,
		Check:      parts.client.Check,
		Ready:      func() bool { return !draining.Load() },
		Logger:     logger,
		Registerer: reg,
		Gatherer:   reg,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		// A body may take a while on a slow link, but never longer than a
		// request may take as a whole.
		ReadTimeout:    cfg.RequestTimeout,
		WriteTimeout:   cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slogErrorLog(logger),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "version", version)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	draining.Store(true)
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
