package assemble

import (
	"context"
	"strings"
	"testing"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan/urlscantest"
)

const testKey = "assemble-key-7Qm2"

func TestBudgetSplitsCacheMaxMB(t *testing.T) {
	for _, tc := range []struct {
		mb                       int
		searchBytes, resultBytes int64
		cached                   bool
	}{
		{16, 4 << 20, 12 << 20, true},
		{1, 1 << 18, 3 << 18, true},
		{3, 3 << 18, 9 << 18, true},
		{0, 0, 0, false},
	} {
		cfg := config.Default()
		cfg.CacheMaxMB = tc.mb
		b := budgetOf(cfg)
		if b.searchBytes != tc.searchBytes || b.resultBytes != tc.resultBytes {
			t.Errorf("CACHE_MAX_MB=%d: %d bytes for searches, %d for results; want %d and %d", tc.mb, b.searchBytes, b.resultBytes, tc.searchBytes, tc.resultBytes)
		}
		if b.searchBytes+b.resultBytes != cfg.CacheBytes() {
			t.Errorf("CACHE_MAX_MB=%d: the caches hold %d bytes, want CACHE_MAX_MB's %d", tc.mb, b.searchBytes+b.resultBytes, cfg.CacheBytes())
		}
		wantSearch, wantResult := cfg.SearchCacheTTL, cfg.ResultCacheTTL
		if !tc.cached {
			wantSearch, wantResult = 0, 0
		}
		if b.searchTTL != wantSearch || b.resultTTL != wantResult {
			t.Errorf("CACHE_MAX_MB=%d: TTLs %s and %s, want %s and %s", tc.mb, b.searchTTL, b.resultTTL, wantSearch, wantResult)
		}
	}
}

// TestCacheMaxMBZeroCachesNothing holds that the assembled relay answers a
// repeated lookup from its caches, and that CACHE_MAX_MB=0 sends every
// lookup to urlscan.io.
func TestCacheMaxMBZeroCachesNothing(t *testing.T) {
	for _, tc := range []struct {
		mb                          int
		searchesAgain, resultsAgain int64
	}{
		{16, 0, 0},
		{0, 1, 3},
	} {
		up := urlscantest.NewServer(urlscantest.Options{APIKey: testKey, Hits: 3})
		t.Cleanup(up.Close)
		cfg := config.Default()
		cfg.URLScanAPIURL = up.URL
		cfg.CacheMaxMB = tc.mb
		rel, err := New(context.Background(), cfg, Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rel.Close)
		obs := []ctim.Observable{{Type: "domain", Value: "example.com"}}
		observe := func() {
			t.Helper()
			data, errs := rel.Service.Observe(context.Background(), testKey, obs, 100)
			if len(errs) > 0 || data.Sightings == nil || data.Sightings.Count != 3 {
				t.Fatalf("CACHE_MAX_MB=%d: observe = %+v, %v; want 3 sightings", tc.mb, data.Sightings, errs)
			}
		}
		observe()
		if s, r := up.Calls("search"), up.Calls("result"); s != 1 || r != 3 {
			t.Fatalf("CACHE_MAX_MB=%d: the first lookup made %d searches and %d result fetches, want 1 and 3", tc.mb, s, r)
		}
		up.Reset()
		observe()
		if s, r := up.Calls("search"), up.Calls("result"); s != tc.searchesAgain || r != tc.resultsAgain {
			t.Errorf("CACHE_MAX_MB=%d: the repeat made %d searches and %d result fetches, want %d and %d", tc.mb, s, r, tc.searchesAgain, tc.resultsAgain)
		}
	}
}

// TestBadRedisURLNamesTheVariable holds that a REDIS_URL New cannot use
// fails with the variable's name and without its password.
func TestBadRedisURLNamesTheVariable(t *testing.T) {
	cfg := config.Default()
	cfg.RedisURL = "redis://:s3cret-pass@127.0.0.1:notaport/0"
	rel, err := New(context.Background(), cfg, Options{Version: "test"})
	if err == nil {
		rel.Close()
		t.Fatal("New accepted a REDIS_URL without a port number")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "REDIS_URL: ") || strings.Contains(msg, "s3cret-pass") {
		t.Errorf("error %q: want it to start with REDIS_URL: and hold no password", msg)
	}
}
