package cache

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// mapped stands in for a mapped urlscan result: a few strings, a few KiB.
type mapped struct {
	URL, Domain, IP string
	Tags            []string
}

func weighMapped(k string, v mapped) int {
	n := len(k) + len(v.URL) + len(v.Domain) + len(v.IP) + 64
	for _, t := range v.Tags {
		n += len(t) + 16
	}
	return n
}

func TestEvictionKeepsMemoryUnderBound(t *testing.T) {
	const maxBytes = 1 << 20
	reg := prometheus.NewPedanticRegistry()
	c, err := New(Options[mapped]{
		Name: "result", MaxBytes: maxBytes, TTL: time.Hour, Weigh: weighMapped, Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// 4,000 entries of ~4 KiB each: about 16 times the bound.
	ctx := context.Background()
	var peak uint64
	for i := range 4000 {
		key := fmt.Sprintf("result:%08d", i)
		v := mapped{
			URL:    "https://example.com/" + strings.Repeat("p", 3000+i%1000),
			Domain: "example.com", IP: "192.0.2.1", Tags: []string{"phishing", "malicious"},
		}
		if _, _, err := c.Get(ctx, key, "", func(context.Context) (mapped, error) { return v, nil }); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, c.mem.WeightedSize())
	}
	c.mem.CleanUp()

	entries, bytes := c.Stats()
	if bytes > maxBytes {
		t.Errorf("weighted size %d after clean-up, want <= %d", bytes, maxBytes)
	}
	if entries == 0 || entries > maxBytes/3000 {
		t.Errorf("entries = %d, want between 1 and %d", entries, maxBytes/3000)
	}
	evicted := counterValue(t, c.m.evictSize)
	if want := float64(4000 - entries); evicted < want {
		t.Errorf("size evictions = %v, want >= %v", evicted, want)
	}
	// Maintenance runs just after writes, so the bound may be passed briefly;
	// this records by how much.
	t.Logf("peak weighted size while inserting: %d (bound %d)", peak, maxBytes)
}

func TestOversizedValueIsNotKept(t *testing.T) {
	c, err := New(Options[string]{Name: "n", MaxBytes: 1024, TTL: time.Hour, Weigh: weighString})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := &loader{value: strings.Repeat("x", 2048)}
	for range 2 {
		if _, _, err := c.Get(context.Background(), "k", "", l.load); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.calls.Load(); got != 2 {
		t.Errorf("loads = %d, want 2: a value larger than the bound is served but not cached", got)
	}
}
