package tiles

import (
	"fmt"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan"
)

// TestQuotaCacheKeepsItsBound holds that the quotas answers kept never
// pass maxQuotaKeys, and that a full memory lets go of the key asked
// about least recently, not of a key still in use.
func TestQuotaCacheKeepsItsBound(t *testing.T) {
	c := newQuotaCache()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	answers := map[string]*urlscan.Quotas{}
	for i := range maxQuotaKeys {
		k := fmt.Sprintf("key%d", i)
		answers[k] = &urlscan.Quotas{}
		c.put(k, answers[k], now)
	}
	// key0 went in first but was asked about since; key1 was not.
	if q := c.get("key0", now); q != answers["key0"] {
		t.Fatalf("get(key0) = %p, want its answer %p", q, answers["key0"])
	}
	newest := &urlscan.Quotas{}
	c.put("newcomer", newest, now)
	if n := c.got.Len(); n != maxQuotaKeys {
		t.Errorf("%d answers kept, want the bound %d", n, maxQuotaKeys)
	}
	if q := c.get("key0", now); q != answers["key0"] {
		t.Errorf("get(key0) = %p after the memory filled, want the recent key's answer kept", q)
	}
	if q := c.get("newcomer", now); q != newest {
		t.Errorf("get(newcomer) = %p, want the answer just put", q)
	}
	if q := c.get("key1", now); q != nil {
		t.Errorf("get(key1) = %p, want the least recent key let go", q)
	}
	if q := c.get("key2", now); q != answers["key2"] {
		t.Errorf("get(key2) = %p, want it kept: only one key had to go", q)
	}
	for i := range 3 * maxQuotaKeys {
		c.put(fmt.Sprintf("more%d", i), &urlscan.Quotas{}, now)
	}
	if n := c.got.Len(); n != maxQuotaKeys {
		t.Errorf("%d answers kept after many more keys, want the bound %d", n, maxQuotaKeys)
	}
}

// TestQuotaCacheReusesForAMinute holds that an answer serves its key for
// quotaReuse and no longer, and never a clock that went back.
func TestQuotaCacheReusesForAMinute(t *testing.T) {
	c := newQuotaCache()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	q := &urlscan.Quotas{}
	c.put("k", q, now)
	for _, tc := range []struct {
		at   time.Time
		want *urlscan.Quotas
	}{
		{now, q},
		{now.Add(quotaReuse - time.Nanosecond), q},
		{now.Add(quotaReuse), nil},
		{now.Add(-time.Second), nil},
	} {
		if got := c.get("k", tc.at); got != tc.want {
			t.Errorf("get at %v = %p, want %p", tc.at.Sub(now), got, tc.want)
		}
	}
	if got := c.get("other", now); got != nil {
		t.Errorf("get(other) = %p, want nil: another key's answer", got)
	}
}
