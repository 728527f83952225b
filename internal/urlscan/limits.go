package urlscan

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LimitStore remembers which (key, action) pairs urlscan has refused until
// some time, so that calls bound to fail are not sent at all and do not
// burn the customer's quota further. The in-memory store serves one
// replica; a shared store (Redis) lets replicas learn from each other.
// keyID is always KeyID of the key, never the key.
type LimitStore interface {
	// BlockedUntil returns when the block of (keyID, action) ends; the zero
	// time or a past time means not blocked.
	BlockedUntil(ctx context.Context, keyID, action string) (time.Time, error)
	// Block refuses calls of (keyID, action) until the given time.
	Block(ctx context.Context, keyID, action string, until time.Time) error
}

// NewMemoryLimits returns a LimitStore held in this process's memory.
// Expired blocks are forgotten, so it stays as small as the set of keys
// currently refused.
func NewMemoryLimits(now func() time.Time) LimitStore {
	if now == nil {
		now = time.Now
	}
	return &memoryLimits{now: now, until: make(map[string]time.Time)}
}

type memoryLimits struct {
	now   func() time.Time
	mu    sync.Mutex
	until map[string]time.Time
}

func (m *memoryLimits) BlockedUntil(_ context.Context, keyID, action string) (time.Time, error) {
	k := keyID + "\x00" + action
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.until[k]
	if ok && !t.After(m.now()) {
		delete(m.until, k)
		return time.Time{}, nil
	}
	return t, nil
}

func (m *memoryLimits) Block(_ context.Context, keyID, action string, until time.Time) error {
	k := keyID + "\x00" + action
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if until.After(m.until[k]) {
		m.until[k] = until
	}
	if len(m.until) > 1024 {
		for k, t := range m.until {
			if !t.After(now) {
				delete(m.until, k)
			}
		}
	}
	return nil
}

// quota is what urlscan's rate-limit headers said about one answer.
type quota struct {
	action     string        // search, result or scan
	remaining  int64         // -1 when not told
	resetAfter time.Duration // 0 when not told
}

// The actions urlscan names in X-Rate-Limit-Action, folded onto the
// relay's endpoints: a scan is limited per visibility, and a block of any
// scan visibility holds back scans, which is the safe side.
func actionOf(header, endpoint string) string {
	switch strings.ToLower(strings.TrimSpace(header)) {
	case "search":
		return endpointSearch
	case "result", "retrieve":
		return endpointResult
	case "scan", "public", "private", "unlisted":
		return endpointScan
	}
	return endpoint
}

// readQuota reads the rate-limit headers of an answer to endpoint.
func readQuota(h http.Header, endpoint string, now time.Time) quota {
	q := quota{action: actionOf(h.Get("X-Rate-Limit-Action"), endpoint), remaining: -1}
	if n, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")), 10, 64); err == nil && n >= 0 {
		q.remaining = n
	}
	q.resetAfter = seconds(h.Get("X-Rate-Limit-Reset-After"))
	if q.resetAfter == 0 {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(h.Get("X-Rate-Limit-Reset"))); err == nil && t.After(now) {
			q.resetAfter = t.Sub(now)
		}
	}
	return q
}

// maxWait caps any wait urlscan asks for, so that an absurd header cannot
// overflow a Duration or block a key for years.
const maxWait = 24 * time.Hour

// seconds reads a non-negative, possibly fractional number of seconds.
func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f <= 0 {
		return 0
	}
	if f >= maxWait.Seconds() {
		return maxWait
	}
	return time.Duration(f * float64(time.Second))
}

// retryAfter is how long a 429 answer asks to wait: X-Rate-Limit-Reset-After,
// else Retry-After in seconds or as an HTTP date; 0 when not told.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := seconds(h.Get("X-Rate-Limit-Reset-After")); d > 0 {
		return d
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if d := seconds(v); d > 0 {
		return d
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxWait)
	}
	return 0
}
