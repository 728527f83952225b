package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
)

// lookup is what urlscan.io said about one observable.
type lookup struct {
	obs       ctim.Observable
	searchErr error
	hits      []urlscan.Hit
	// results and resultErrs run parallel to hits. A nil result with a nil
	// error is a scan that has no document: deleted, or a hit without an id.
	results    []*urlscan.Result
	resultErrs []error
	// queue holds, newest first, the hits whose documents are neither
	// cached nor fetched yet: the budget decides about them once every
	// search has answered.
	queue    []int
	fetching int // documents fetched before the budget was shared out
	// submitted is how many of the first hits are scans submitted through
	// the relay that the search did not list (see addSubmitted).
	submitted int
}

// errs returns the lookup's failures in a stable order: the search's, then
// each hit's in hit order.
func (l *lookup) errs() []error {
	var out []error
	if l.searchErr != nil {
		out = append(out, l.searchErr)
	}
	for _, err := range l.resultErrs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// peeker is an Upstream that can answer at once from memory; fetch then
// skips the goroutine and the bound a call would need.
type peeker interface {
	PeekSearch(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, bool)
	PeekResult(ctx context.Context, apiKey, scanID string) (*urlscan.Result, bool)
}

// prefetcher is an Upstream backed by a shared tier that can bring many
// answers into memory in one round trip; fetch asks it for a request's
// searches, then for their results, before peeking.
type prefetcher interface {
	PrefetchSearches(ctx context.Context, apiKey string, queries []string, size int)
	PrefetchResults(ctx context.Context, apiKey string, scanIDs []string)
}

// prefetchResults asks pre (may be nil) for the result documents of the
// hits of ls.
func prefetchResults(ctx context.Context, pre prefetcher, apiKey string, ls ...*lookup) {
	if pre == nil {
		return
	}
	var ids []string
	for _, l := range ls {
		for _, h := range l.hits {
			if h.ID != "" {
				ids = append(ids, h.ID)
			}
		}
	}
	if len(ids) > 0 {
		pre.PrefetchResults(ctx, apiKey, ids)
	}
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// fetch searches every observable and, when withResults is set, fetches
// result documents within the Service's budget (see budget), all
// concurrently within the Service's bound. The lookups come back in the
// order of obs, each holding whatever was gathered before a failure or the
// end of ctx; err is the one "too many requests" error of the hits that a
// nearly spent quota left unexamined, or nil.
func (s *Service) fetch(ctx context.Context, apiKey string, obs []ctim.Observable, limit int, withResults bool) (ls []lookup, err error) {
	ls = make([]lookup, len(obs))
	g := s.newGate(len(obs))
	defer g.close()
	peek, _ := s.up.(peeker)
	var b *budget
	var submitted []scans.Scan
	if withResults {
		b = s.newBudget(apiKey, len(obs))
		submitted = s.submittedFor(ctx, apiKey)
	}
	pre, _ := s.up.(prefetcher)
	queries := make([]string, len(obs))
	for i, o := range obs {
		ls[i].obs = o
		query, err := SearchQuery(o.Type, o.Value)
		if err != nil {
			ls[i].searchErr = fmt.Errorf("search %s %q: %w", o.Type, o.Value, err)
			continue
		}
		queries[i] = query
	}
	// What memory lacks comes from the shared tier in one round trip for
	// the searches, then one for the results of those found.
	found := make([]bool, len(ls))
	if peek != nil {
		if pre != nil {
			pre.PrefetchSearches(ctx, apiKey, nonEmpty(queries), limit)
		}
		var peeked []*lookup
		for i := range ls {
			if queries[i] == "" {
				continue
			}
			if hits, ok := peek.PeekSearch(ctx, apiKey, queries[i], limit); ok {
				ls[i].hits = cut(hits, limit)
				s.addSubmitted(&ls[i], queries[i], submitted, limit)
				peeked, found[i] = append(peeked, &ls[i]), true
			}
		}
		if b != nil {
			prefetchResults(ctx, pre, apiKey, peeked...)
		}
	}
	// searches tracks the searches, results every result document.
	var searches, results sync.WaitGroup
	for i := range ls {
		l, query := &ls[i], queries[i]
		if query == "" {
			continue
		}
		if found[i] {
			if b != nil {
				s.fetchNewest(ctx, apiKey, l, g, &results, peek, b.early)
			}
			continue
		}
		// The slot is taken here rather than in the goroutine so that at
		// most concurrency goroutines wait on urlscan.io however many
		// observables a request carries.
		if err := g.enter(ctx); err != nil {
			l.searchErr = fmt.Errorf("search %s %q: %w", l.obs.Type, l.obs.Value, err)
			continue
		}
		searches.Go(func() {
			hits, err := s.up.Search(ctx, apiKey, query, limit)
			g.leave()
			if err != nil {
				l.searchErr = fmt.Errorf("search %s %q: %w", l.obs.Type, l.obs.Value, err)
				return
			}
			l.hits = cut(hits, limit)
			s.addSubmitted(l, query, submitted, limit)
			if b != nil {
				prefetchResults(ctx, pre, apiKey, l)
				s.fetchNewest(ctx, apiKey, l, g, &results, peek, b.early)
			}
		})
	}
	searches.Wait()
	if b != nil {
		err = s.fetchShared(ctx, apiKey, ls, g, &results, b)
	}
	results.Wait()
	for i := range ls {
		ls[i].settle()
	}
	return ls, err
}

// cut keeps at most limit hits.
func cut(hits []urlscan.Hit, limit int) []urlscan.Hit {
	if len(hits) > limit {
		return hits[:limit]
	}
	return hits
}

// fetchNewest takes each hit's result document from memory when peek (may
// be nil) has it, which is free, starts fetching the documents of the
// newest n other hits, and queues the rest for fetchShared. wg tracks the
// fetches.
func (s *Service) fetchNewest(ctx context.Context, apiKey string, l *lookup, g *gate, wg *sync.WaitGroup, peek peeker, n int) {
	l.results = make([]*urlscan.Result, len(l.hits))
	l.resultErrs = make([]error, len(l.hits))
	for j, h := range l.hits {
		if h.ID == "" {
			continue // nothing to ask for; the sighting stands on the hit alone
		}
		if peek != nil {
			if r, ok := peek.PeekResult(ctx, apiKey, h.ID); ok {
				l.results[j] = r
				continue
			}
		}
		if l.fetching < n {
			l.fetching++
			s.fetchResult(ctx, apiKey, l, j, g, wg)
			continue
		}
		l.queue = append(l.queue, j)
	}
}

// fetchResult starts fetching the result document of hit j of l; wg
// tracks it.
func (s *Service) fetchResult(ctx context.Context, apiKey string, l *lookup, j int, g *gate, wg *sync.WaitGroup) {
	id := l.hits[j].ID
	if err := g.enter(ctx); err != nil {
		l.resultErrs[j] = fmt.Errorf("result %s: %w", id, err)
		return
	}
	wg.Go(func() {
		defer g.leave()
		r, err := s.up.Result(ctx, apiKey, id)
		switch {
		case errors.Is(err, urlscan.ErrResultGone), errors.Is(err, urlscan.ErrScanNotFinished):
			// A deleted scan is not a failure: its sighting stays,
			// it just cannot be judged. Nor is one still running.
		case err != nil:
			l.resultErrs[j] = fmt.Errorf("result %s: %w", id, err)
		default:
			l.results[j] = r
		}
	})
}
