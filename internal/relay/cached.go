package relay

import (
	"context"
	"strconv"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// Cached is an Upstream that remembers urlscan.io's answers: searches per
// API key (a tenant never sees another key's private scans), result
// documents per scan id (a scan's verdict does not depend on who asks).
// Scan submissions are never cached. Concurrent identical lookups make one
// call. Every call and hit is counted in the request's Stats.
type Cached struct {
	up       Upstream
	searches *cache.Cache[[]urlscan.Hit]
	results  *cache.Cache[*urlscan.Result]
}

// NewCached wraps up with the two caches.
func NewCached(up Upstream, searches *cache.Cache[[]urlscan.Hit], results *cache.Cache[*urlscan.Result]) *Cached {
	return &Cached{up: up, searches: searches, results: results}
}

// Search answers from the key's own search cache, or asks urlscan.io.
func (c *Cached) Search(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, error) {
	key := urlscan.KeyID(apiKey) + "\x00" + strconv.Itoa(size) + "\x00" + query
	hits, hit, err := c.searches.Get(ctx, key, key, func(ctx context.Context) ([]urlscan.Hit, error) {
		StatsFrom(ctx).AddCall()
		return c.up.Search(ctx, apiKey, query, size)
	})
	if hit {
		StatsFrom(ctx).AddHit()
	}
	return hits, err
}

// Result answers from the result cache, or asks urlscan.io. The cache is
// shared across keys, but a key only ever asks for the scans its own search
// listed; loads are collapsed per key, so one key's refusal never becomes
// another key's answer.
func (c *Cached) Result(ctx context.Context, apiKey, scanID string) (*urlscan.Result, error) {
	flight := urlscan.KeyID(apiKey) + "\x00" + scanID
	res, hit, err := c.results.Get(ctx, scanID, flight, func(ctx context.Context) (*urlscan.Result, error) {
		StatsFrom(ctx).AddCall()
		return c.up.Result(ctx, apiKey, scanID)
	})
	if hit {
		StatsFrom(ctx).AddHit()
	}
	return res, err
}

// Scan submits straight to urlscan.io.
func (c *Cached) Scan(ctx context.Context, apiKey string, r urlscan.ScanRequest) (*urlscan.ScanResponse, error) {
	StatsFrom(ctx).AddCall()
	return c.up.Scan(ctx, apiKey, r)
}

// WeighHits approximates the memory a cached search answer holds.
func WeighHits(key string, hits []urlscan.Hit) int {
	n := len(key) + 24
	for _, h := range hits {
		n += 160 + len(h.ID) + len(h.Page.URL) + len(h.Page.Domain) + len(h.Page.IP)
		for _, s := range h.Stats {
			n += 40 + len(s.Name) + len(s.Value)
		}
	}
	return n
}

// WeighResult approximates the memory a cached result holds.
func WeighResult(key string, r *urlscan.Result) int {
	if r == nil {
		return len(key)
	}
	n := len(key) + 160 + len(r.ReportURL) + len(r.ScreenshotURL) + len(r.DomURL)
	for _, t := range r.Tags {
		n += 16 + len(t)
	}
	for _, c := range r.Categories {
		n += 16 + len(c)
	}
	return n
}
