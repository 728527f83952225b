package relay

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestDeletedScansAreRemembered holds that a repeat of a request whose
// scans were deleted asks urlscan.io nothing: the 404 is remembered as a
// negative entry, and the answer stays the same.
func TestDeletedScansAreRemembered(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{}, 1<<20)
	r.fake.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusNotFound})
	first, errs := r.svc.Observe(context.Background(), "k", fourObservables, 100)
	if len(errs) > 0 {
		t.Fatalf("first observe: %v (a deleted scan is not a failure)", errs)
	}
	s1, r1 := r.calls()
	if s1 != 4 || r1 != 40 {
		t.Fatalf("first observe made %d searches and %d results, want 4 and 40", s1, r1)
	}
	ctx, stats := WithStats(context.Background())
	again, errs := r.svc.Observe(ctx, "k", fourObservables, 100)
	if len(errs) > 0 {
		t.Fatalf("repeated observe: %v", errs)
	}
	if s2, r2 := r.calls(); s2 != s1 || r2 != r1 {
		t.Errorf("repeated observe made %d searches and %d results, want none", s2-s1, r2-r1)
	}
	if calls, hits := stats.Snapshot(); calls != 0 || hits != 44 {
		t.Errorf("stats = %d calls, %d hits; want 0 and 44", calls, hits)
	}
	if again.Sightings.Count != first.Sightings.Count || again.Judgements != nil || first.Judgements != nil {
		t.Errorf("answers differ: %d and %d sightings, judgements %v and %v",
			first.Sightings.Count, again.Sightings.Count, first.Judgements, again.Judgements)
	}

	// The Upstream contract holds for a remembered deletion too.
	hits, err := r.svc.up.Search(context.Background(), "k", `page.domain:"a.example"`, 100)
	if err != nil || len(hits) == 0 {
		t.Fatalf("search: %v, %d hits", err, len(hits))
	}
	if _, err := r.svc.up.Result(context.Background(), "k", hits[0].ID); !errors.Is(err, urlscan.ErrResultGone) {
		t.Errorf("remembered deletion answered %v, want ErrResultGone", err)
	}
	if _, r3 := r.calls(); r3 != r1 {
		t.Errorf("asking for a remembered deletion made %d calls", r3-r1)
	}
}

// TestFailedResultsAreNotRemembered holds the other side: only a deletion
// is remembered, a failure is asked again.
func TestFailedResultsAreNotRemembered(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{}, 1<<20)
	r.fake.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusInternalServerError, Times: 40})
	if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, 100); len(errs) == 0 {
		t.Fatal("first observe: no error, want the 500s")
	}
	_, r1 := r.calls()
	if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, 100); len(errs) > 0 {
		t.Fatalf("second observe: %v", errs)
	}
	if _, r2 := r.calls(); r2 == r1 {
		t.Error("failed results were remembered: the repeat asked nothing")
	}
}
