package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// benchStack is the relay as serve wires it, on a fake urlscan.io with
// documents of docBytes.
func benchStack(b *testing.B, docBytes int) (http.Handler, string, func()) {
	b.Helper()
	iss, err := newBenchIssuer()
	if err != nil {
		b.Fatal(err)
	}
	up := urlscantest.NewServer(urlscantest.Options{DocBytes: docBytes})
	cfg := config.Default()
	cfg.URLScanAPIURL = up.URL
	cfg.JWKSHosts = []string{iss.Host()}
	cfg.RelayAudience = []string{testAudience}
	rel := assembleRelay(b, cfg, assemble.Options{})
	verifier, err := auth.New(auth.Options{AllowedHosts: cfg.JWKSHosts, RootCAs: iss.RootCAs()})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Deps{
		Config:   cfg,
		Relay:    rel.Service,
		Tiles:    rel.Tiles,
		Verifier: verifier,
	})
	if err != nil {
		b.Fatal(err)
	}
	token := "Bearer " + iss.Token(map[string]any{"key": testKey, "aud": testAudience})
	return h, token, func() { up.Close(); iss.Close() }
}

// BenchmarkObserveCold measures a request of the standard scenario whose
// observables were never seen: 4 searches and 40 result documents of
// 300 KiB decoded, mapped and encoded. The fake urlscan.io runs in the
// same process, so read the relay's share in a CPU profile.
func BenchmarkObserveCold(b *testing.B) {
	h, token, done := benchStack(b, 300<<10)
	defer done()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := fmt.Sprintf(`[{"type":"domain","value":"a%[1]d.example"},{"type":"url","value":"http://b%[1]d.example/x"},{"type":"ip","value":"10.%[2]d.%[3]d.7"},{"type":"domain","value":"c%[1]d.example"}]`, i, i/250, i%250)
		req := httptest.NewRequest(http.MethodPost, "/observe/observables", strings.NewReader(body))
		req.Header.Set("Authorization", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"sightings":{"count":40`) {
			b.Fatalf("answer: %.300s", rec.Body.String())
		}
	}
}

// BenchmarkObserveWarm measures the relay's own cost of a repeated observe
// request of the standard scenario (4 observables, 10 hits each) once every
// urlscan.io answer is cached: token check, decoding, mapping, encoding.
func BenchmarkObserveWarm(b *testing.B) {
	h, token, done := benchStack(b, 8<<10)
	defer done()
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
