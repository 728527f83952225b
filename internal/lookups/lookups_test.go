package lookups

import (
	"fmt"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestTallyCountsDistinctByLatestVerdict(t *testing.T) {
	c := clocktest.New(t0)
	tl := New(Options{Now: c.Now})
	tl.Note("k", "domain", "a.test", true)
	tl.Note("k", "domain", "a.test", true) // the same observable again
	tl.Note("k", "ip", "192.0.2.1", false)
	tl.Note("other", "domain", "b.test", true)
	if m, o := tl.Count("k", t0.Add(-time.Hour)); m != 1 || o != 1 {
		t.Errorf("Count = %d malicious, %d other; want 1 and 1", m, o)
	}
	c.Advance(2 * time.Hour)
	tl.Note("k", "ip", "192.0.2.1", true) // its latest lookup now says malicious
	if m, o := tl.Count("k", c.Now().Add(-time.Hour)); m != 1 || o != 0 {
		t.Errorf("last hour = %d, %d; want 1 malicious (192.0.2.1), 0 other", m, o)
	}
	if m, o := tl.Count("k", c.Now().Add(-24*time.Hour)); m != 2 || o != 0 {
		t.Errorf("last day = %d, %d; want 2, 0", m, o)
	}
	if m, o := tl.Count("nobody", t0); m != 0 || o != 0 {
		t.Errorf("unknown key = %d, %d", m, o)
	}
}

func TestTallyBounds(t *testing.T) {
	c := clocktest.New(t0)
	tl := New(Options{MaxPerKey: 3, MaxKeys: 2, Keep: 24 * time.Hour, Now: c.Now})
	for i := range 5 {
		c.Advance(time.Minute)
		tl.Note("k", "ip", fmt.Sprint("192.0.2.", i), false)
	}
	if m, o := tl.Count("k", t0); m+o != 3 {
		t.Errorf("kept %d lookups, want MaxPerKey 3", m+o)
	}
	// k2 comes strictly after k's last lookup: with equal times either key
	// could be the least recently active one.
	c.Advance(time.Second)
	tl.Note("k2", "ip", "x", false)
	c.Advance(time.Second)
	tl.Note("k3", "ip", "x", false)
	if m, o := tl.Count("k", t0); m+o != 0 {
		t.Errorf("least recently active key kept past MaxKeys: %d", m+o)
	}
	// Nothing outlives Keep (plus the sweep interval).
	c.Advance(24*time.Hour + sweepEvery)
	tl.Note("k4", "ip", "y", false)
	tl.mu.Lock()
	n := tl.keys.Len()
	tl.mu.Unlock()
	if n != 1 {
		t.Errorf("%d keys after Keep, want only k4", n)
	}
}

// BenchmarkTallyNoteFull measures a new observable noted for a key that
// already holds DefaultMaxPerKey: the steady state of a busy tenant.
func BenchmarkTallyNoteFull(b *testing.B) {
	tl := New(Options{})
	for i := range DefaultMaxPerKey {
		tl.Note("k", "ip", fmt.Sprint(i), false)
	}
	i := DefaultMaxPerKey
	for b.Loop() {
		i++
		tl.Note("k", "ip", fmt.Sprint(i), false)
	}
}
