package relay

import (
	"context"
	"slices"

	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
)

// submitted records a scan urlscan.io accepted and starts following it.
// The scan belongs in the answers of the observable's search and, for a
// URL, of its domain's.
func (s *Service) submitted(ctx context.Context, apiKey, typ, value string, req urlscan.ScanRequest, res *urlscan.ScanResponse) {
	if s.book == nil || res == nil || !urlscan.ValidScanID(res.UUID) {
		return
	}
	var queries []string
	if q, err := SearchQuery(typ, value); err == nil {
		queries = append(queries, q)
	}
	if scanAs(typ) == scanAsURL {
		if h := observableHost(typ, value); h != "" {
			if q, err := SearchQuery("domain", h); err == nil && !slices.Contains(queries, q) {
				queries = append(queries, q)
			}
		}
	}
	sc := scans.Scan{
		ID:         res.UUID,
		Submitted:  s.now().UTC(),
		URL:        req.URL,
		Visibility: req.Visibility,
		Queries:    queries,
		State:      scans.Pending,
	}
	s.book.Record(ctx, urlscan.KeyID(apiKey), sc)
	s.follow.follow(apiKey, sc)
}

// submittedFor returns the key's scans from the book, refreshed from the
// shared store when it is due; nil without a book. fetch calls it before
// any search, so that the search cache is keyed by what it returns.
func (s *Service) submittedFor(ctx context.Context, apiKey string) []scans.Scan {
	if s.book == nil {
		return nil
	}
	return s.book.Scans(ctx, urlscan.KeyID(apiKey))
}

// addSubmitted puts in front of l's hits the scans submitted for query
// that the search did not list (yet): the finished ones, and the ones
// still pending that are old enough to have finished and young enough to
// be still followed. Their results are fetched like any hit's; settle
// drops the ones that have none.
func (s *Service) addSubmitted(l *lookup, query string, submitted []scans.Scan, limit int) {
	if len(submitted) == 0 {
		return
	}
	now := s.now()
	var extra []urlscan.Hit
	for i := range submitted {
		sc := &submitted[i]
		if !sc.Answers(query) || slices.ContainsFunc(l.hits, func(h urlscan.Hit) bool { return h.ID == sc.ID }) {
			continue
		}
		age := now.Sub(sc.Submitted)
		switch {
		case sc.State == scans.Done:
		case sc.State == scans.Pending && age >= s.firstLook && age <= s.scanWait:
		default:
			continue
		}
		extra = append(extra, urlscan.Hit{ID: sc.ID, Time: sc.Submitted})
	}
	if len(extra) == 0 {
		return
	}
	l.hits = cut(append(extra, l.hits...), limit)
	l.submitted = min(len(extra), len(l.hits))
}

// settle completes the hits addSubmitted added from their results: the
// time and page of the scan. A hit whose result is not there (not
// finished, gone, failed) is dropped; a failure stays among the errors.
func (l *lookup) settle() {
	if l.submitted == 0 {
		return
	}
	errAt := func(j int) error {
		if j < len(l.resultErrs) {
			return l.resultErrs[j]
		}
		return nil
	}
	hits := make([]urlscan.Hit, 0, len(l.hits))
	results := make([]*urlscan.Result, 0, len(l.hits))
	errs := make([]error, 0, len(l.hits))
	var dropped []error
	for j, h := range l.hits {
		r := l.result(j)
		if j < l.submitted {
			if r == nil {
				if err := errAt(j); err != nil {
					dropped = append(dropped, err)
				}
				continue
			}
			if !r.Time.IsZero() {
				h.Time = r.Time
			}
			h.Page = r.Page
		}
		hits = append(hits, h)
		results = append(results, r)
		errs = append(errs, errAt(j))
	}
	// resultErrs runs parallel to hits, then lists the dropped hits' failures.
	l.hits, l.results, l.resultErrs, l.submitted = hits, results, append(errs, dropped...), 0
}
