package relay

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// TestAdmissionBoundsColdWork holds that concurrent cold requests beyond
// the admission bound wait their turn: the calls in flight never exceed
// what the admitted requests make, and every request is still answered.
func TestAdmissionBoundsColdWork(t *testing.T) {
	f := newFake()
	f.delay = 5 * time.Millisecond
	obs := manyObservables(f, 12, 2)
	s := New(f, Config{Admission: 4, NewID: counterIDs()})
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			data, errs := s.Observe(context.Background(), "k", obs[4*i:4*i+4], 10)
			if len(errs) > 0 || count(data.Sightings) != 8 {
				t.Errorf("request %d: %d sightings, %v", i, count(data.Sightings), errs)
			}
		})
	}
	wg.Wait()
	// One request of 4 observables with 2 hits each has at most 8 calls
	// in flight (its results); three at once would reach 24.
	if got := f.maxInFlight.Load(); got > 8 {
		t.Errorf("max in-flight calls = %d, want at most one admitted request's 8", got)
	}
}

// TestAdmissionWaitsWithinTheDeadline holds that a request waiting for
// admission gives up at its deadline without calling urlscan.io, and that
// answers from memory never wait.
func TestAdmissionWaitsWithinTheDeadline(t *testing.T) {
	f := newFake()
	obs := manyObservables(f, 8, 1)
	release := make(chan struct{})
	f.hold = func(ctx context.Context, kind, arg string) error {
		if arg == `page.domain:"d0.example"` {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	searches, err := cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: time.Minute, MaxBytes: 1 << 20, Weigh: WeighHits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(searches.Close)
	results, err := cache.New(cache.Options[*urlscan.Result]{Name: "result", TTL: time.Minute, MaxBytes: 1 << 20, Weigh: WeighResult})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(results.Close)
	s := New(NewCached(f, searches, results), Config{Admission: 4, NewID: counterIDs()})
	warm := obs[4:5]
	if _, errs := s.Observe(context.Background(), "k", warm, 10); len(errs) > 0 {
		t.Fatal(errs)
	}

	// A holds the whole admission while its first search hangs.
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Observe(context.Background(), "k", obs[:4], 10)
	}()
	for f.inFlight.Load() == 0 {
		runtime.Gosched()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, errs := s.Observe(ctx, "k", obs[5:6], 10)
	if len(errs) == 0 || !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Errorf("a request waiting past its deadline answered %v, want the deadline", errs)
	}
	// A's own searches may still be going out; only B's query counts.
	f.mu.Lock()
	for _, sr := range f.searches {
		if sr.query == `page.domain:"d5.example"` {
			t.Errorf("a request never admitted searched %s", sr.query)
		}
	}
	f.mu.Unlock()

	// Were it queued, it would wait for A, which waits for release.
	wctx, wcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer wcancel()
	if data, errs := s.Observe(wctx, "k", warm, 10); len(errs) > 0 || count(data.Sightings) != 1 {
		t.Errorf("a warm request behind a full admission: %v, want its answer from memory", errs)
	}
	close(release)
	<-done
}

// TestWaitingRequestsStartNoGoroutines holds that a request waiting for
// admission waits on its own goroutine: no goroutine per call it is
// about to make.
func TestWaitingRequestsStartNoGoroutines(t *testing.T) {
	f := newFake()
	obs := manyObservables(f, 4+20*8, 1)
	release := make(chan struct{})
	f.hold = func(ctx context.Context, kind, arg string) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s := New(f, Config{Admission: 4, NewID: counterIDs()})
	var wg sync.WaitGroup
	wg.Go(func() { s.Observe(context.Background(), "k", obs[:4], 10) })
	for f.inFlight.Load() < 4 {
		runtime.Gosched()
	}
	before := runtime.NumGoroutine()
	const waiting = 20
	for i := range waiting {
		wg.Go(func() { s.Observe(context.Background(), "k", obs[4+8*i:12+8*i], 10) })
	}
	time.Sleep(50 * time.Millisecond) // let them reach the admission
	if grew := runtime.NumGoroutine() - before; grew > waiting+2 {
		t.Errorf("%d requests of 8 observables waiting for admission started %d goroutines, want about one each", waiting, grew)
	}
	close(release)
	wg.Wait()
}
