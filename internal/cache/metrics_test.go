package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/clocktest"
)

func TestMetricsMove(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	ctx := context.Background()

	// A "replica" that fills the remote tier, unregistered.
	other := newRemoteCache(t, r, clock, time.Minute)
	other.Get(ctx, "shared", "", (&loader{value: "s"}).load)

	c := newStringCache(t, Options[string]{
		Name: "search", TTL: time.Minute, Registerer: reg, Remote: r, Codec: stringCodec{}, Now: clock.Now,
	})
	l := &loader{value: "v"}
	c.Get(ctx, "k", "", l.load)      // miss
	c.Get(ctx, "k", "", l.load)      // memory hit
	c.Get(ctx, "shared", "", l.load) // remote hit
	c.Get(ctx, "bad", "", (&loader{err: errors.New("x")}).load)
	r.mu.Lock()
	r.failGet = errRemoteDown
	r.mu.Unlock()
	c.Get(ctx, "k3", "", l.load) // miss, remote error
	clock.Advance(2 * time.Minute)
	c.Get(ctx, "k4", "", l.load) // miss, remote error; the write drops the expired entries
	c.mem.CleanUp()

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cache_hits_total", map[string]string{"cache": "search", "tier": "memory"}, 1},
		{"cache_hits_total", map[string]string{"cache": "search", "tier": "remote"}, 1},
		{"cache_misses_total", map[string]string{"cache": "search"}, 4},
		{"cache_remote_errors_total", map[string]string{"cache": "search"}, 2}, // k3, and k4 after the cool-off
		{"cache_evictions_total", map[string]string{"cache": "search", "reason": "expired"}, 3},
		{"cache_evictions_total", map[string]string{"cache": "search", "reason": "size"}, 0},
		{"cache_entries", map[string]string{"cache": "search"}, 1},
		{"cache_size_bytes", map[string]string{"cache": "search"}, float64(len("k4") + len("v") + entryOverhead)},
	}
	for _, tt := range tests {
		got, ok := metricValue(t, reg, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

func TestMetricsNamesShareARegistry(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	newStringCache(t, Options[string]{Name: "search", TTL: time.Minute, Registerer: reg})
	newStringCache(t, Options[string]{Name: "result", TTL: time.Minute, Registerer: reg})
	if _, err := New(Options[string]{Name: "search", TTL: time.Minute, Weigh: weighString, Registerer: reg}); err == nil {
		t.Errorf("New with a duplicate name succeeded, want a registration error")
	}
	// The failed registration must not leave half its collectors behind.
	newStringCache(t, Options[string]{Name: "jwks", TTL: time.Minute, Registerer: reg})
	if _, err := reg.Gather(); err != nil {
		t.Errorf("Gather: %v", err)
	}
}
