package urlscan

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestRemainingFollowsHeaders(t *testing.T) {
	srv := newServer(t, urlscantest.Options{Limits: map[string]int{"retrieve": 5}})
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	c := newClient(t, srv.URL, func(o *Options) { o.Now = clock.Now })
	ctx := t.Context()

	if _, known := c.Remaining(testKey, ActionResult); known {
		t.Error("a remaining count known before any answer")
	}
	for range 2 {
		if err := callEndpoint(ctx, c, "result", testKey); err != nil {
			t.Fatal(err)
		}
	}
	if n, known := c.Remaining(testKey, ActionResult); !known || n != 3 {
		t.Errorf("Remaining(result) = %d, %v; want 3 (the retrieve action's headers)", n, known)
	}
	if _, known := c.Remaining(testKey, ActionSearch); known {
		t.Error("the search count is known from result answers")
	}
	if _, known := c.Remaining("another-key", ActionResult); known {
		t.Error("one key's count is known for another")
	}
	// An answer of the same window that arrives late says more: the
	// smaller count stands.
	srv.Inject(urlscantest.Fault{Endpoint: "result", Times: 1, Header: http.Header{"X-Rate-Limit-Remaining": {"4"}}})
	if err := callEndpoint(ctx, c, "result", testKey); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Remaining(testKey, ActionResult); n != 3 {
		t.Errorf("after a late answer: %d, want 3", n)
	}
	// The count ends with its window (Reset-After comes from the fake's
	// wall clock; it is at most a minute).
	clock.Advance(61 * time.Second)
	if n, known := c.Remaining(testKey, ActionResult); known {
		t.Errorf("after the window reset: %d still known", n)
	}
}

func TestRemainingCountsBounded(t *testing.T) {
	var rc remainingCounts
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range maxRemaining + 10 {
		rc.set(fmt.Sprint(i), ActionResult, 1, now.Add(time.Minute), now)
	}
	if n := len(rc.counts); n > maxRemaining {
		t.Errorf("%d counts kept, bound %d", n, maxRemaining)
	}
	if _, ok := rc.get(fmt.Sprint(maxRemaining+9), ActionResult, now); !ok {
		t.Error("the newest count was dropped")
	}
}
