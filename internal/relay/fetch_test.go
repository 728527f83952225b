package relay

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

// manyObservables returns n domain observables with hits each on f, every
// result malicious.
func manyObservables(f *fakeUpstream, n, hits int) []ctim.Observable {
	var obs []ctim.Observable
	for i := range n {
		d := fmt.Sprintf("d%d.example", i)
		obs = append(obs, ctim.Observable{Type: "domain", Value: d})
		var hs []urlscan.Hit
		for j := range hits {
			id := fmt.Sprintf("%d-%d", i, j)
			hs = append(hs, hit(id, "2024-01-01T00:00:00Z"))
			f.results[id] = malicious("2024-01-01T00:00:00Z", "phishing")
		}
		f.hits[`page.domain:"`+d+`"`] = hs
	}
	return obs
}

func TestObserveConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			f := newFake()
			f.delay = 2 * time.Millisecond
			obs := manyObservables(f, 4, 10)
			s := New(f, Config{Concurrency: limit, NewID: counterIDs()})
			data, errs := s.Observe(context.Background(), "k", obs, 10)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if got, want := count(data.Sightings), 40; got != want {
				t.Errorf("sightings = %d, want %d", got, want)
			}
			// The bound holds, and is used: 44 calls of 2 ms each leave
			// room to fill every slot.
			if got := f.maxInFlight.Load(); got != int64(limit) {
				t.Errorf("max in-flight calls = %d, want %d", got, limit)
			}
		})
	}
}

func TestObserveOutputOrderIsInputOrder(t *testing.T) {
	f := newFake()
	obs := manyObservables(f, 5, 4)
	// Earlier observables answer later, so completion order is reversed.
	f.hold = func(ctx context.Context, kind, arg string) error {
		if kind == "search" {
			var i int
			fmt.Sscanf(arg, `page.domain:"d%d.example"`, &i)
			time.Sleep(time.Duration(5-i) * time.Millisecond)
		}
		return nil
	}
	data, errs := New(f, Config{NewID: counterIDs()}).Observe(context.Background(), "k", obs, 10)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	for i, sg := range data.Sightings.Docs {
		if want := fmt.Sprintf("%d-%d", i/4, i%4); sg.ExternalIDs[0] != want {
			t.Fatalf("sighting %d is %s, want %s", i, sg.ExternalIDs[0], want)
		}
	}
	for i, v := range data.Verdicts.Docs {
		if v.Observable != obs[i] {
			t.Fatalf("verdict %d is for %v, want %v", i, v.Observable, obs[i])
		}
	}
}

func TestObserveCancelledKeepsPartialData(t *testing.T) {
	f := newFake()
	f.hits[`page.ip:"192.0.2.1"`] = []urlscan.Hit{hit("fast", "2024-01-02T00:00:00Z"), hit("stuck", "2024-01-01T00:00:00Z")}
	f.results["fast"] = malicious("2024-01-02T00:00:00Z", "phishing")
	f.results["stuck"] = malicious("2024-01-01T00:00:00Z", "phishing")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stuck := make(chan struct{})
	f.hold = func(ctx context.Context, kind, arg string) error {
		if arg != "stuck" {
			return nil
		}
		close(stuck)
		<-ctx.Done() // an upstream call that only ends with its context
		return ctx.Err()
	}
	go func() {
		<-stuck
		cancel()
	}()

	data, errs := newTestService(f).Observe(ctx, "k", []ctim.Observable{{Type: "ip", Value: "192.0.2.1"}}, 10)

	if got, want := sightingIDs(data), []string{"fast", "stuck"}; !equal(got, want) {
		t.Errorf("sightings = %v, want %v", got, want)
	}
	if got, want := count(data.Judgements), 1; got != want {
		t.Errorf("judgements = %d, want %d (the scan fetched before the end)", got, want)
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("errors = %v, want one context.Canceled", errs)
	}
	if got, want := tr.From(errs[0]).Code, tr.ServiceUnavailable; got != want {
		t.Errorf("TR code = %q, want %q", got, want)
	}
}

func TestObserveSpentContextCallsNothing(t *testing.T) {
	f := fixtureUpstream(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	obs := []ctim.Observable{{Type: "ip", Value: "1.1.1.1"}, {Type: "domain", Value: "d.example"}}
	data, errs := newTestService(f).Observe(ctx, "k", obs, 10)
	if len(f.searches) != 0 || len(f.resultsGot) != 0 {
		t.Errorf("upstream called after cancellation: %v, %v", f.searches, f.resultsGot)
	}
	if data != (ctim.ObserveData{}) {
		t.Errorf("data = %+v, want none", data)
	}
	if len(errs) != len(obs) {
		t.Fatalf("errors = %v, want one per observable", errs)
	}
	for _, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v is not context.Canceled", err)
		}
	}
}

func TestObserveDeadlineWhileWaitingForASlot(t *testing.T) {
	f := newFake()
	obs := manyObservables(f, 2, 5)
	// Only the first search answers; every other call holds its slot until
	// the deadline, so the rest of the calls are still waiting for one.
	f.hold = func(ctx context.Context, kind, arg string) error {
		if arg == `page.domain:"d0.example"` {
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	data, errs := New(f, Config{Concurrency: 1, NewID: counterIDs()}).Observe(ctx, "k", obs, 10)
	// The second search and the first observable's 5 results all fail.
	if got, want := len(errs), 6; got != want {
		t.Errorf("errors = %d, want %d: %v", got, want, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not the deadline", err)
		}
	}
	if got := f.maxInFlight.Load(); got != 1 {
		t.Errorf("max in-flight = %d, want 1", got)
	}
	// What the first search found is kept, though none of its results came.
	if got, want := count(data.Sightings), 5; got != want {
		t.Errorf("sightings = %d, want the first observable's %d", got, want)
	}
	if data.Judgements != nil {
		t.Errorf("judgements = %+v, want none", data.Judgements)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
