package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// benchAPIKey is the urlscan.io key the benchmark's token carries; the fake
// refuses any other, so a relay that loses the key fails loudly. It is
// distinctive so that the soak can look for it in the relay's logs.
const benchAPIKey = "bench-api-key-7d3f9a1c"

// benchAudience is the relay's RELAY_AUDIENCE and the tokens' aud.
const benchAudience = "http://127.0.0.1"

// rig is what every phase shares: the relay binary, the fake urlscan.io,
// the JWKS issuer and a token it signed.
type rig struct {
	opts     options
	getenv   func(string) string
	stderr   io.Writer
	dir      string // temporary files: the built relay, the issuer's certificate
	relayBin string // the relay under study ("after")
	fake     *urlscantest.Server
	// smallFake serves the replica scenario: the same answers with small
	// documents. Nil in the soak.
	smallFake *urlscantest.Server
	// popularFake serves the popular scenario: popularHits hits a search.
	// Nil in the soak.
	popularFake *urlscantest.Server
	issuer      *authtest.Issuer
	certFile    string
	token       string
	started     time.Time
	loadAvg     string // the machine's load averages when the measuring began
}

func newRig(ctx context.Context, opts options, getenv func(string) string, stderr io.Writer) (_ *rig, err error) {
	dir, err := os.MkdirTemp("", "urlscan-relay-bench-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	r := &rig{opts: opts, getenv: getenv, stderr: stderr, dir: dir, relayBin: opts.relayBin}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.relayBin == "" {
		r.relayBin = filepath.Join(dir, "urlscan-relay")
		if err := buildRelay(ctx, r.relayBin, stderr); err != nil {
			return nil, err
		}
	}
	r.issuer, err = authtest.NewIssuer()
	if err != nil {
		return nil, fmt.Errorf("JWKS issuer: %w", err)
	}
	r.certFile = filepath.Join(dir, "jwks-ca.pem")
	if err := os.WriteFile(r.certFile, r.issuer.CertPEM(), 0o600); err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	r.token = r.issuer.Token(map[string]any{"key": benchAPIKey, "aud": benchAudience})
	r.fake = urlscantest.NewServer(urlscantest.Options{
		Latency:  opts.latency,
		Hits:     opts.hits,
		DocBytes: opts.docKiB << 10,
		APIKey:   benchAPIKey,
	})
	if !opts.soak {
		if _, err := deleteScans(ctx, r.fake); err != nil {
			return nil, err
		}
		// The replica scenario measures cached answers, whose cost does
		// not depend on the documents' size: small ones let it fill
		// Redis with a thousand requests' worth in seconds.
		r.popularFake = urlscantest.NewServer(urlscantest.Options{
			Latency:  opts.latency,
			Hits:     popularHits,
			DocBytes: opts.docKiB << 10,
			APIKey:   benchAPIKey,
		})
		r.smallFake = urlscantest.NewServer(urlscantest.Options{
			Latency:  opts.latency,
			Hits:     opts.hits,
			DocBytes: replicaDocKiB << 10,
			APIKey:   benchAPIKey,
		})
	}
	r.started, r.loadAvg = time.Now(), loadAverage()
	return r, nil
}

func (r *rig) close() {
	if r.fake != nil {
		r.fake.Close()
	}
	if r.smallFake != nil {
		r.smallFake.Close()
	}
	if r.popularFake != nil {
		r.popularFake.Close()
	}
	if r.issuer != nil {
		r.issuer.Close()
	}
	_ = os.RemoveAll(r.dir)
}

// buildRelay compiles the relay of the current module, so the benchmark
// measures the code it sits next to.
func buildRelay(ctx context.Context, out string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "urlscan-relay/cmd/urlscan-relay")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the relay: %w", err)
	}
	return nil
}

// passThrough lists the settings the benchmark hands on from its own
// environment: the caches and deadlines under study, and the Go runtime's.
func passThrough() []string {
	return []string{
		"CACHE_MAX_MB", "SEARCH_CACHE_TTL", "RESULT_CACHE_TTL", "REDIS_URL",
		"REQUEST_TIMEOUT", "URLSCAN_TIMEOUT", "GOMAXPROCS", "GOGC", "GOMEMLIMIT",
	}
}

// relayEnv is the relay's whole environment: nothing leaks in from the
// benchmark's own but the pass-through settings; extra wins over both.
func (r *rig) relayEnv(upstream string, extra map[string]string) []string {
	env := map[string]string{
		"URLSCAN_API_URL": upstream,
		"JWKS_HOSTS":      r.issuer.Host(),
		"SSL_CERT_FILE":   r.certFile,
		"RELAY_AUDIENCE":  benchAudience,
		"LOG_LEVEL":       "warn",
		// Nothing routes traffic to this relay: stopping it need not wait
		// for a load balancer to notice /readyz failing.
		"SHUTDOWN_DELAY": "0",
	}
	for _, k := range passThrough() {
		if v := r.getenv(k); v != "" {
			env[k] = v
		}
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startRelay starts a fresh process of the relay binary bin in front of
// upstream.
func (r *rig) startRelay(ctx context.Context, bin, upstream string, extra map[string]string) (*relayProc, error) {
	return startRelay(ctx, bin, r.relayEnv(upstream, extra), []string{benchAPIKey, r.token})
}

// binaries are the relays measured, in the order each round runs them:
// the one under study last, so that it is never the first to meet a cold
// machine.
func (r *rig) binaries() []binary {
	if r.opts.beforeBin == "" {
		return []binary{{"after", r.relayBin}}
	}
	return []binary{{"before", r.opts.beforeBin}, {"after", r.relayBin}}
}

// binary is one relay build under measurement.
type binary struct{ name, path string }

// loadAverage is the machine's 1, 5 and 15 minute load averages, which say
// whether something else competed for the CPUs during a run.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
