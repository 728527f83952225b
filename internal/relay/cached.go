package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// Cached is an Upstream that remembers urlscan.io's answers: searches per
// API key (a tenant never sees another key's private scans), result
// documents per API key and scan id unless SharedResults is given. Scan
// submissions are never cached. Concurrent identical lookups make one call.
// Every call and hit is counted in the request's Stats.
type Cached struct {
	up           Upstream
	searches     *cache.Cache[[]urlscan.Hit]
	results      *cache.Cache[*urlscan.Result]
	gens         Generations // nil: no scans are followed
	shareResults bool
}

// Generations names, per API key id and search query, the newest scan
// submitted through the relay that the query's answer should list
// (implemented by *scans.Book, from memory only).
type Generations interface {
	Generation(keyID, query string) string
}

// CachedOption adjusts a Cached.
type CachedOption func(*Cached)

// SharedResults shares cached result documents between API keys when share
// is set (SHARE_RESULTS_BETWEEN_KEYS): fewer calls when tenants look at the
// same scans, at the price of an oracle, since one tenant's answer time
// then tells whether another tenant looked at a scan within the TTL.
func SharedResults(share bool) CachedOption {
	return func(c *Cached) { c.shareResults = share }
}

// NewCached wraps up with the two caches.
func NewCached(up Upstream, searches *cache.Cache[[]urlscan.Hit], results *cache.Cache[*urlscan.Result], opts ...CachedOption) *Cached {
	c := &Cached{up: up, searches: searches, results: results}
	for _, o := range opts {
		o(c)
	}
	return c
}

// resultKey is the result cache's key of scanID for apiKey: partitioned by
// key unless results are shared.
func (c *Cached) resultKey(apiKey, scanID string) string {
	if c.shareResults {
		return scanID
	}
	return urlscan.KeyID(apiKey) + "\x00" + scanID
}

// WithGenerations makes c key each search answer by the newest scan
// submitted for it, so that a submission drops, on every replica that
// knows of it, the answers cached before it. It returns c.
func (c *Cached) WithGenerations(g Generations) *Cached {
	c.gens = g
	return c
}

// searchKey partitions the search cache by API key and, once a scan was
// submitted for the query, by that scan.
func (c *Cached) searchKey(apiKey, query string, size int) string {
	keyID := urlscan.KeyID(apiKey)
	key := keyID + "\x00" + strconv.Itoa(size) + "\x00" + query
	if c.gens != nil {
		if gen := c.gens.Generation(keyID, query); gen != "" {
			key += "\x00" + gen
		}
	}
	return key
}

// PeekSearch answers from memory only, without waiting on anything.
func (c *Cached) PeekSearch(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, bool) {
	hits, ok := c.searches.Peek(c.searchKey(apiKey, query, size))
	if ok {
		StatsFrom(ctx).AddHit()
	}
	return hits, ok
}

// PeekResult answers from memory only, without waiting on anything.
func (c *Cached) PeekResult(ctx context.Context, apiKey, scanID string) (*urlscan.Result, bool) {
	res, ok := c.results.Peek(c.resultKey(apiKey, scanID))
	if ok {
		StatsFrom(ctx).AddHit()
	}
	return res, ok
}

// PrefetchSearches brings the searches of queries that memory lacks from
// the shared tier in one round trip, so the lookups that follow find them
// in memory.
func (c *Cached) PrefetchSearches(ctx context.Context, apiKey string, queries []string, size int) {
	if !c.searches.Prefetches() {
		return // memory only: the keys would be built for nothing
	}
	keys := make([]string, len(queries))
	for i, q := range queries {
		keys[i] = c.searchKey(apiKey, q, size)
	}
	c.searches.Prefetch(ctx, keys)
}

// PrefetchResults does the same for result documents, under the keys
// Result would use.
func (c *Cached) PrefetchResults(ctx context.Context, apiKey string, scanIDs []string) {
	if !c.results.Prefetches() {
		return
	}
	keys := make([]string, len(scanIDs))
	for i, id := range scanIDs {
		keys[i] = c.resultKey(apiKey, id)
	}
	c.results.Prefetch(ctx, keys)
}

// Search answers from the key's own search cache, or asks urlscan.io.
func (c *Cached) Search(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, error) {
	key := c.searchKey(apiKey, query, size)
	hits, hit, err := c.searches.Get(ctx, key, key, func(ctx context.Context) ([]urlscan.Hit, error) {
		StatsFrom(ctx).AddCall()
		return c.up.Search(ctx, apiKey, query, size)
	})
	if hit {
		StatsFrom(ctx).AddHit()
	}
	return hits, err
}

// Result answers from the result cache, or asks urlscan.io. When the cache
// is shared across keys, a key still only ever asks for the scans its own
// search listed, and loads are collapsed per key, so one key's refusal
// never becomes another key's answer.
//
// A deleted scan is remembered too, as a nil result (a negative entry,
// weighed and bounded like the rest): urlscan.io does not bring a deleted
// scan back, so asking again on every repeat would spend a call for the
// same 404. Callers still see ErrResultGone.
func (c *Cached) Result(ctx context.Context, apiKey, scanID string) (*urlscan.Result, error) {
	flight := urlscan.KeyID(apiKey) + "\x00" + scanID
	res, hit, err := c.results.Get(ctx, c.resultKey(apiKey, scanID), flight, func(ctx context.Context) (*urlscan.Result, error) {
		StatsFrom(ctx).AddCall()
		r, err := c.up.Result(ctx, apiKey, scanID)
		if errors.Is(err, urlscan.ErrResultGone) {
			return nil, nil
		}
		return r, err
	})
	if hit {
		StatsFrom(ctx).AddHit()
	}
	if err == nil && res == nil {
		return nil, errGone
	}
	return res, err
}

// errGone is what Result answers for a scan remembered as deleted: the
// same meaning as urlscan.io's 404, without its details.
var errGone = fmt.Errorf("result: %w", urlscan.ErrResultGone)

// Remaining tells what urlscan.io said the key has left of an action's
// quota, when the Upstream it wraps knows.
func (c *Cached) Remaining(apiKey, action string) (int64, bool) {
	qt, ok := c.up.(quotaTeller)
	if !ok {
		return 0, false
	}
	return qt.Remaining(apiKey, action)
}

// Scan submits straight to urlscan.io.
func (c *Cached) Scan(ctx context.Context, apiKey string, r urlscan.ScanRequest) (*urlscan.ScanResponse, error) {
	StatsFrom(ctx).AddCall()
	return c.up.Scan(ctx, apiKey, r)
}

// Entry overheads, measured with heap profiles of a filled cache: the
// cache's node and key, the value's structs and slice headers, and the
// allocator's rounding.
const (
	entryOverhead = 160
	hitOverhead   = 200
	statOverhead  = 64
	tagOverhead   = 32
	resultSize    = 200
)

// WeighHits approximates the memory a cached search answer holds.
func WeighHits(key string, hits []urlscan.Hit) int {
	n := entryOverhead + len(key)
	for _, h := range hits {
		n += hitOverhead + len(h.ID) + len(h.Page.URL) + len(h.Page.Domain) + len(h.Page.IP)
		for _, s := range h.Stats {
			n += statOverhead + len(s.Name) + len(s.Value)
		}
	}
	return n
}

// WeighResult approximates the memory a cached result holds.
func WeighResult(key string, r *urlscan.Result) int {
	n := entryOverhead + len(key)
	if r == nil {
		return n
	}
	n += resultSize + len(r.ReportURL) + len(r.ScreenshotURL) + len(r.DomURL) + len(r.Page.URL) + len(r.Page.Domain) + len(r.Page.IP)
	for _, t := range r.Tags {
		n += tagOverhead + len(t)
	}
	for _, c := range r.Categories {
		n += tagOverhead + len(c)
	}
	return n
}
