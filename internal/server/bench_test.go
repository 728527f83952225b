package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// BenchmarkObserveWarm measures the relay's own cost of a repeated observe
// request of the standard scenario (4 observables, 10 hits each) once every
// urlscan.io answer is cached: token check, decoding, mapping, encoding.
func BenchmarkObserveWarm(b *testing.B) {
	iss, err := newBenchIssuer()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	up := urlscantest.NewServer(urlscantest.Options{})
	defer up.Close()
	client, err := urlscan.New(urlscan.Options{BaseURL: up.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	searches, _ := cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: time.Hour, MaxBytes: 1 << 24, Weigh: relay.WeighHits})
	results, _ := cache.New(cache.Options[*urlscan.Result]{Name: "result", TTL: time.Hour, MaxBytes: 1 << 24, Weigh: relay.WeighResult})
	defer searches.Close()
	defer results.Close()
	cfg := config.Default()
	cfg.JWKSHosts = []string{iss.Host()}
	cfg.RelayAudience = []string{testAudience}
	verifier, err := auth.New(auth.Options{AllowedHosts: cfg.JWKSHosts, RootCAs: iss.RootCAs()})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Deps{
		Config:   cfg,
		Relay:    relay.New(relay.NewCached(client, searches, results), relay.Config{UIURL: cfg.URLScanUIURL}),
		Verifier: verifier,
	})
	if err != nil {
		b.Fatal(err)
	}
	token := "Bearer " + iss.Token(map[string]any{"key": testKey, "aud": testAudience})
	body := `[{"type":"domain","value":"a.example"},{"type":"url","value":"http://b.example/x"},{"type":"ip","value":"192.0.2.7"},{"type":"domain","value":"c.example"}]`
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/observe/observables", strings.NewReader(body))
		req.Header.Set("Authorization", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(); !strings.Contains(rec.Body.String(), `"sightings":{"count":40`) {
		b.Fatalf("priming answer: %.300s", rec.Body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := serve()
		b.SetBytes(int64(rec.Body.Len()))
	}
}

func newBenchIssuer() (*authtest.Issuer, error) { return authtest.NewIssuer() }
