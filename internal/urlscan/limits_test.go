package urlscan

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestSpentQuotaHoldsBackCalls(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "search", Header: http.Header{"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset-After": {"60"}}, Times: 1})
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	c := newClient(t, srv.URL, func(o *Options) { o.Now = clock.Now })
	ctx := t.Context()

	if err := callEndpoint(ctx, c, "search", testKey); err != nil {
		t.Fatalf("the call that spends the quota: %v", err)
	}
	err := callEndpoint(ctx, c, "search", testKey)
	var ue *Error
	if !errors.As(err, &ue) || ue.TR.Code != tr.TooManyRequests || ue.RetryAfter != 60*time.Second {
		t.Fatalf("got %v, want too many requests with RetryAfter 60s", err)
	}
	if got := srv.Calls("search"); got != 1 {
		t.Errorf("got %d searches, want 1: a spent quota sends nothing", got)
	}

	if err := callEndpoint(ctx, c, "search", "another-key"); err != nil {
		t.Errorf("another key: %v", err)
	}
	if err := callEndpoint(ctx, c, "result", testKey); err != nil {
		t.Errorf("another action: %v", err)
	}

	clock.Advance(30 * time.Second)
	if err := callEndpoint(ctx, c, "search", testKey); !errors.As(err, &ue) || ue.RetryAfter != 30*time.Second {
		t.Errorf("half way: got %v, want RetryAfter 30s", err)
	}
	clock.Advance(31 * time.Second)
	if err := callEndpoint(ctx, c, "search", testKey); err != nil {
		t.Errorf("after the reset: %v", err)
	}
	if got := srv.Calls("search"); got != 3 {
		t.Errorf("got %d searches, want 3", got)
	}
	if got := testutilCount(t, c, "search", "blocked"); got != 2 {
		t.Errorf("got %v blocked calls counted, want 2", got)
	}
}

func TestRateLimitActionHeader(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	// A search answer that says the result quota is spent.
	srv.Inject(urlscantest.Fault{Endpoint: "search", Header: http.Header{"X-Rate-Limit-Action": {"result"}, "X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset-After": {"10"}}, Times: 1})
	c := newClient(t, srv.URL, nil)
	if err := callEndpoint(t.Context(), c, "search", testKey); err != nil {
		t.Fatal(err)
	}
	if err := callEndpoint(t.Context(), c, "result", testKey); tr.From(err).Code != tr.TooManyRequests {
		t.Errorf("result: got %v, want too many requests", err)
	}
	if err := callEndpoint(t.Context(), c, "search", testKey); err != nil {
		t.Errorf("search: %v", err)
	}
}

func TestUnretried429HoldsBackCalls(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "scan", Status: 429, Header: http.Header{"X-Rate-Limit-Reset-After": {"3600"}}})
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	c := newClient(t, srv.URL, func(o *Options) { o.Now = clock.Now })
	for range 3 {
		if err := callEndpoint(t.Context(), c, "scan", testKey); tr.From(err).Code != tr.TooManyRequests {
			t.Fatalf("got %v, want too many requests", err)
		}
	}
	if got := srv.Calls("scan"); got != 1 {
		t.Errorf("got %d scans, want 1", got)
	}
}

// brokenLimits is a LimitStore that always fails.
type brokenLimits struct{}

func (brokenLimits) BlockedUntil(context.Context, string, string) (time.Time, error) {
	return time.Time{}, errors.New("store down")
}

func (brokenLimits) Block(context.Context, string, string, time.Time) error {
	return errors.New("store down")
}

func TestBrokenLimitStoreBlocksNothing(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "search", Header: http.Header{"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset-After": {"60"}}})
	c := newClient(t, srv.URL, func(o *Options) { o.Limits = brokenLimits{} })
	for range 2 {
		if err := callEndpoint(t.Context(), c, "search", testKey); err != nil {
			t.Errorf("got %v, want the store's failure ignored", err)
		}
	}
}

func TestMemoryLimits(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	m := NewMemoryLimits(clock.Now)
	ctx := t.Context()
	until := clock.Now().Add(time.Minute)
	if err := m.Block(ctx, "k", "search", until); err != nil {
		t.Fatal(err)
	}
	// An earlier end never shortens a block.
	_ = m.Block(ctx, "k", "search", clock.Now().Add(time.Second))
	if got, _ := m.BlockedUntil(ctx, "k", "search"); !got.Equal(until) {
		t.Errorf("got %v, want %v", got, until)
	}
	if got, _ := m.BlockedUntil(ctx, "k", "result"); !got.IsZero() {
		t.Errorf("other action: got %v, want not blocked", got)
	}
	clock.Advance(time.Minute)
	if got, _ := m.BlockedUntil(ctx, "k", "search"); !got.IsZero() {
		t.Errorf("after the end: got %v, want not blocked", got)
	}
	for i := range 2000 {
		_ = m.Block(ctx, KeyID(string(rune(i))), "search", clock.Now().Add(-time.Second))
	}
	if n := len(m.(*memoryLimits).until); n > 1025 {
		t.Errorf("got %d entries kept, want expired ones dropped", n)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header http.Header
		want   time.Duration
	}{
		{http.Header{"X-Rate-Limit-Reset-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"X-Rate-Limit-Reset-After": {"7"}, "Retry-After": {"100"}}, 7 * time.Second},
		{http.Header{"Retry-After": {"12"}}, 12 * time.Second},
		{http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"X-Rate-Limit-Reset-After": {"NaN"}}, 0},
		{http.Header{"X-Rate-Limit-Reset-After": {"-5"}}, 0},
		{http.Header{"X-Rate-Limit-Reset-After": {"1e300"}}, maxWait},
		{http.Header{}, 0},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("retryAfter(%v) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
