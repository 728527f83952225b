package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"urlscan-relay/internal/urlscan"
)

// fakeUpstream is an in-memory urlscan.io that records what it is asked and
// how many calls it has in flight at once.
type fakeUpstream struct {
	hits       map[string][]urlscan.Hit // by search query
	searchErrs map[string]error         // by search query
	results    map[string]*urlscan.Result
	resultErrs map[string]error
	scanErr    error
	ignoreSize bool          // answer every hit, whatever size was asked
	delay      time.Duration // every call takes this long (or until ctx ends)
	// hold, when set, is called at the start of each call; it may block.
	hold func(ctx context.Context, kind, arg string) error

	mu         sync.Mutex
	searches   []fakeSearch
	resultsGot []string
	scans      []urlscan.ScanRequest
	apiKeys    map[string]bool

	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

type fakeSearch struct {
	query string
	size  int
}

func newFake() *fakeUpstream {
	return &fakeUpstream{
		hits:       map[string][]urlscan.Hit{},
		searchErrs: map[string]error{},
		results:    map[string]*urlscan.Result{},
		resultErrs: map[string]error{},
	}
}

// enter counts a call in and runs its delay and hold.
func (f *fakeUpstream) enter(ctx context.Context, apiKey, kind, arg string) error {
	n := f.inFlight.Add(1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	if f.apiKeys == nil {
		f.apiKeys = map[string]bool{}
	}
	f.apiKeys[apiKey] = true
	f.mu.Unlock()
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.hold != nil {
		return f.hold(ctx, kind, arg)
	}
	return nil
}

func (f *fakeUpstream) leave() { f.inFlight.Add(-1) }

func (f *fakeUpstream) Search(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, error) {
	defer f.leave()
	f.mu.Lock()
	f.searches = append(f.searches, fakeSearch{query, size})
	f.mu.Unlock()
	if err := f.enter(ctx, apiKey, "search", query); err != nil {
		return nil, err
	}
	if err := f.searchErrs[query]; err != nil {
		return nil, err
	}
	hits := f.hits[query]
	if len(hits) > size && !f.ignoreSize {
		hits = hits[:size]
	}
	return hits, nil
}

func (f *fakeUpstream) Result(ctx context.Context, apiKey, scanID string) (*urlscan.Result, error) {
	defer f.leave()
	f.mu.Lock()
	f.resultsGot = append(f.resultsGot, scanID)
	f.mu.Unlock()
	if err := f.enter(ctx, apiKey, "result", scanID); err != nil {
		return nil, err
	}
	if err := f.resultErrs[scanID]; err != nil {
		return nil, err
	}
	r, ok := f.results[scanID]
	if !ok {
		return nil, fmt.Errorf("fake: no result %s: %w", scanID, errors.ErrUnsupported)
	}
	return r, nil
}

func (f *fakeUpstream) Scan(ctx context.Context, apiKey string, r urlscan.ScanRequest) (*urlscan.ScanResponse, error) {
	defer f.leave()
	f.mu.Lock()
	f.scans = append(f.scans, r)
	f.mu.Unlock()
	if err := f.enter(ctx, apiKey, "scan", r.URL); err != nil {
		return nil, err
	}
	if f.scanErr != nil {
		return nil, f.scanErr
	}
	return &urlscan.ScanResponse{UUID: "44b823fb-579d-4b0f-8727-a2357b7e9be9", Visibility: r.Visibility, URL: r.URL}, nil
}

// counterIDs returns a NewID that hands out "1", "2", ... so answers are
// reproducible; it is safe for concurrent use.
func counterIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprint(n.Add(1)) }
}

// fixedNow is the clock of tests that do not care about it.
func fixedNow() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC) }
