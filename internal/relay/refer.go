package relay

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// Refer returns links into urlscan.io's UI for each observable urlscan.io
// has at least one scan of: a browse page (ip, ipv6, domain, hostname), a
// search (every type) and the newest scan's report. Knowing that one scan
// exists is enough: it reuses a cached search answer of the same key and
// query (observe's, of size limit, or an earlier refer's), and otherwise
// searches for one hit. It never fetches a result document. The errors
// are one per failed search.
func (s *Service) Refer(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) ([]ctim.Reference, []error) {
	// Never nil: the answer is a JSON list even when it is empty.
	refs := []ctim.Reference{}
	obs = Normalize(obs)
	if len(obs) == 0 {
		return refs, nil
	}
	newest := make([]*urlscan.Hit, len(obs))
	errs := make([]error, len(obs))
	g := s.newGate(len(obs))
	defer g.close()
	peek, _ := s.up.(peeker)
	var wg sync.WaitGroup
	for i, o := range obs {
		query, err := SearchQuery(o.Type, o.Value)
		if err != nil {
			errs[i] = fmt.Errorf("search %s %q: %w", o.Type, o.Value, err)
			continue
		}
		if hits, ok := peekAny(ctx, peek, apiKey, query, effectiveLimit(limit), 1); ok {
			newest[i] = first(hits)
			continue
		}
		if err := g.enter(ctx); err != nil {
			errs[i] = fmt.Errorf("search %s %q: %w", o.Type, o.Value, err)
			continue
		}
		wg.Go(func() {
			defer g.leave()
			hits, err := s.up.Search(ctx, apiKey, query, 1)
			if err != nil {
				errs[i] = fmt.Errorf("search %s %q: %w", o.Type, o.Value, err)
				return
			}
			newest[i] = first(hits)
		})
	}
	wg.Wait()
	for i, o := range obs {
		if newest[i] != nil {
			refs = s.appendReferences(refs, o, newest[i])
		}
	}
	return refs, slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// peekAny returns the first cached answer of query among sizes.
func peekAny(ctx context.Context, peek peeker, apiKey, query string, sizes ...int) ([]urlscan.Hit, bool) {
	if peek == nil {
		return nil, false
	}
	for _, size := range sizes {
		if hits, ok := peek.PeekSearch(ctx, apiKey, query, size); ok {
			return hits, true
		}
	}
	return nil, false
}

// first is the newest of hits (they come newest first), or nil.
func first(hits []urlscan.Hit) *urlscan.Hit {
	if len(hits) == 0 {
		return nil
	}
	return &hits[0]
}

// appendReferences appends o's browse, search and newest-scan references
// to refs; newest is o's newest hit.
func (s *Service) appendReferences(refs []ctim.Reference, o ctim.Observable, newest *urlscan.Hit) []ctim.Reference {
	desc := "Check this " + o.Type + " status with urlscan.io"
	id := o.Type + "-" + percentEncode(o.Value)
	if page := browsePage(o.Type); page != "" {
		refs = append(refs, ctim.Reference{
			ID:          "ref-urlscan-browse-" + id,
			Title:       "Browse " + o.Type,
			Description: desc,
			URL:         s.ui + "/" + page + "/" + url.PathEscape(o.Value),
			Categories:  []string{"Browse", "urlscan.io"},
		})
	}
	if q := uiSearchQuery(o.Type, o.Value); q != "" {
		refs = append(refs, ctim.Reference{
			ID:          "ref-urlscan-search-" + id,
			Title:       "Search for this " + o.Type,
			Description: desc,
			// The fragment stays as it is: urlscan.io's page reads it
			// verbatim, and the original relay sent it so.
			URL:        s.ui + "/search/#" + q,
			Categories: []string{"Search", "urlscan.io"},
		})
	}
	if urlscan.ValidScanID(newest.ID) {
		refs = append(refs, ctim.Reference{
			ID:          "ref-urlscan-latest-" + id,
			Title:       "Latest scan report",
			Description: "Open the newest urlscan.io scan of this " + o.Type,
			URL:         urlscan.ResultURL(s.ui, newest.ID),
			Categories:  []string{"urlscan.io", "Scan"},
		})
	}
	return refs
}
