package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/logtest"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// The tests that use watchedStack run the relay wired as the command wires
// it (assemble.New, and auth), with every log line, metric and Go error it
// produces kept, so that they can prove no secret leaks.

// watchedMaxDocument is the urlscan client's document cap in these tests:
// far above any fixture or generated document, far below what a fault can
// stream.
const watchedMaxDocument = 256 << 10

type watchedStack struct {
	handler  http.Handler
	upstream *urlscantest.Server
	issuer   *authtest.Issuer
	cfg      config.Config
	logs     *logtest.Buffer
	errs     *errorLog
	jwks     *authtest.Transport // every JWKS request the verifier tried, answered or not
}

// newWatchedStack builds a fresh relay on a fresh fake urlscan.io whose
// searches have three hits. Timeouts are short: REQUEST_TIMEOUT 5s,
// URLSCAN_TIMEOUT 1s (room for a loaded machine); mutate may change them.
func newWatchedStack(t *testing.T, iss *authtest.Issuer, mutate func(*config.Config)) *watchedStack {
	t.Helper()
	up := urlscantest.NewServer(urlscantest.Options{APIKey: testKey, Hits: 3})
	t.Cleanup(up.Close)
	cfg := config.Default()
	cfg.URLScanAPIURL = up.URL
	cfg.JWKSHosts = []string{iss.Host()}
	cfg.RelayAudience = []string{testAudience}
	cfg.RequestTimeout = 5 * time.Second
	cfg.URLScanTimeout = time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()

	rel := assembleRelay(t, cfg, assemble.Options{
		Registerer: reg, Logger: logger,
		Client: func(o *urlscan.Options) {
			o.MaxDocumentBytes = watchedMaxDocument
			o.RetryPause = func() time.Duration { return 10 * time.Millisecond }
		},
	})
	jwks := &authtest.Transport{Base: iss.Client().Transport, Only: iss.Host()}
	verifier, err := auth.New(auth.Options{
		AllowedHosts: cfg.JWKSHosts, HTTPClient: &http.Client{Transport: jwks}, Registerer: reg, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	errs := &errorLog{}
	h, err := New(Deps{
		Config:   cfg,
		Version:  "test",
		Relay:    recordingRelay{Relay: rel.Service, log: errs},
		Tiles:    rel.Tiles,
		Verifier: recordingVerifier{Verifier: verifier, log: errs},
		Check: func(ctx context.Context, apiKey string) (int, error) {
			calls, err := rel.Client.Check(ctx, apiKey)
			errs.add(err)
			return calls, err
		},
		Logger:     logger,
		Registerer: reg,
		Gatherer:   reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &watchedStack{handler: h, upstream: up, issuer: iss, cfg: cfg, logs: logs, errs: errs, jwks: jwks}
}

func (s *watchedStack) token(claims map[string]any) string {
	c := map[string]any{"key": testKey, "aud": testAudience}
	for k, v := range claims {
		c[k] = v
	}
	return s.issuer.Token(c)
}

// post sends body to path and returns the answer's text and how long it
// took.
func (s *watchedStack) post(t *testing.T, path, authorization, body string) (string, time.Duration) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	s.handler.ServeHTTP(rec, req)
	took := time.Since(start)
	raw, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", path, rec.Code, raw)
	}
	return string(raw), took
}

// metrics renders /metrics as Prometheus would scrape it.
func (s *watchedStack) metrics(t *testing.T) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", rec.Code)
	}
	return rec.Body.String()
}

// upstreamCalls counts the requests that reached the fake urlscan.io.
func (s *watchedStack) upstreamCalls() int64 {
	return s.upstream.Calls("search") + s.upstream.Calls("result") + s.upstream.Calls("scan")
}

// assertNoSecrets fails t when the API key, the token or either secret
// part of the token (payload, signature) is in an answer, a log line, an
// error the relay returned or a metric.
func (s *watchedStack) assertNoSecrets(t *testing.T, key, token string, answers ...string) {
	t.Helper()
	secrets := map[string]string{"API key": key, "token": token}
	// A key with control characters would leak escaped: JSON logs and %q
	// both spell "\r" as a backslash and an r.
	if j, _ := json.Marshal(key); string(j) != `"`+key+`"` {
		secrets["JSON-escaped API key"] = strings.Trim(string(j), `"`)
	}
	if q := strconv.Quote(key); q != `"`+key+`"` {
		secrets["Go-quoted API key"] = strings.Trim(q, `"`)
	}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		secrets["token payload"], secrets["token signature"] = parts[1], parts[2]
	}
	places := map[string]string{
		"answer": strings.Join(answers, "\n"),
		"log":    s.logs.String(),
		"error":  s.errs.String(),
		"metric": s.metrics(t),
	}
	for place, text := range places {
		for what, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("the %s is in a %s:\n%s", what, place, excerpt(text, secret))
			}
		}
	}
}

// excerpt is the line of text holding secret, for a failure message.
func excerpt(text, secret string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, secret) {
			return line
		}
	}
	return ""
}

// errorLog keeps the full text (%+v) of every error returned to the
// server, which is more than the answer shows: wrapped causes included.
type errorLog struct{ logtest.Buffer }

func (l *errorLog) add(errs ...error) {
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(l, "%+v\n", err)
		}
	}
}

// recordingRelay is the real relay, with its errors kept.
type recordingRelay struct {
	Relay
	log *errorLog
}

func (r recordingRelay) Observe(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.ObserveData, []error) {
	d, errs := r.Relay.Observe(ctx, apiKey, obs, limit)
	r.log.add(errs...)
	return d, errs
}

func (r recordingRelay) Deliberate(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.DeliberateData, []error) {
	d, errs := r.Relay.Deliberate(ctx, apiKey, obs, limit)
	r.log.add(errs...)
	return d, errs
}

func (r recordingRelay) Refer(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) ([]ctim.Reference, []error) {
	refs, errs := r.Relay.Refer(ctx, apiKey, obs, limit)
	r.log.add(errs...)
	return refs, errs
}

func (r recordingRelay) Trigger(ctx context.Context, apiKey string, tg relay.Trigger) error {
	err := r.Relay.Trigger(ctx, apiKey, tg)
	r.log.add(err)
	return err
}

// recordingVerifier is the real verifier, with its refusals kept.
type recordingVerifier struct {
	Verifier
	log *errorLog
}

func (v recordingVerifier) Verify(ctx context.Context, authorization string, audiences []string) (*auth.Claims, error) {
	c, err := v.Verifier.Verify(ctx, authorization, audiences)
	v.log.add(err)
	return c, err
}
