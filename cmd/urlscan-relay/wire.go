package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/config"
)

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
