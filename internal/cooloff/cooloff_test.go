package cooloff

import (
	"sync"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
)

func TestGate(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	g := New(time.Second, 30*time.Second, clock.Now)
	if !g.Open() {
		t.Fatal("a new gate is closed")
	}
	if report, suppressed := g.Failed(true); !report || suppressed != 0 {
		t.Errorf("first failure: report %v, suppressed %d; want true, 0", report, suppressed)
	}
	if g.Open() {
		t.Error("open right after an unavailable failure")
	}
	clock.Advance(999 * time.Millisecond)
	if g.Open() {
		t.Error("open before the cool-off ended")
	}
	clock.Advance(time.Millisecond)
	if !g.Open() {
		t.Error("still closed when the cool-off ended")
	}

	// Bad data is reported, rate-limited, but closes nothing.
	for range 3 {
		if report, _ := g.Failed(false); report {
			t.Error("reported within the warning period")
		}
	}
	if !g.Open() {
		t.Error("bad data closed the gate")
	}
	clock.Advance(30 * time.Second)
	if report, suppressed := g.Failed(false); !report || suppressed != 3 {
		t.Errorf("after the period: report %v, suppressed %d; want true, 3", report, suppressed)
	}
}

// Concurrent failures report once per period, and count the rest.
func TestGateConcurrentFailures(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	g := New(0, 0, clock.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	reports := 0
	for range 50 {
		wg.Go(func() {
			if report, _ := g.Failed(true); report {
				mu.Lock()
				reports++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if reports != 1 {
		t.Errorf("%d reports, want 1", reports)
	}
	clock.Advance(DefaultWarnEvery)
	if report, suppressed := g.Failed(true); !report || suppressed != 49 {
		t.Errorf("after the period: report %v, suppressed %d; want true, 49", report, suppressed)
	}
}
