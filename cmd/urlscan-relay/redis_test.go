package main

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"urlscan-relay/internal/cache/rediscache/redistest"
	"urlscan-relay/internal/logtest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestRedisSharesCacheAcrossInstances runs two relays, each with its own
// memory, on one Redis: the second answers a lookup the first made without
// calling urlscan.io. Then Redis dies: both keep answering, cached and
// fresh observables alike, without errors and without stalling.
func TestRedisSharesCacheAcrossInstances(t *testing.T) {
	f := newFixture(t, "redis-key-Lw2v9Xc1")
	rs := redistest.Start(t)
	env := f.env(map[string]string{"REDIS_URL": rs.URL(), "REDIS_TIMEOUT": "1s"}) // room for a loaded machine
	base1, logs1, stop1 := startRelay(t, env)
	base2, logs2, stop2 := startRelay(t, env)

	body := observables("1.1.1.1", "198.51.100.20")
	first := f.send(t, http.MethodPost, base1+"/observe/observables", f.token, body, nil)
	if codes := first.errorCodes(t); first.status != http.StatusOK || len(codes) > 0 {
		t.Fatalf("first instance: observe = %d %v", first.status, codes)
	}
	if f.upstream.Calls("search") != 2 {
		t.Fatalf("first instance made %d searches, want 2", f.upstream.Calls("search"))
	}
	f.upstream.Reset()
	second := f.send(t, http.MethodPost, base2+"/observe/observables", f.token, body, nil)
	if codes := second.errorCodes(t); second.status != http.StatusOK || len(codes) > 0 {
		t.Fatalf("second instance: observe = %d %v", second.status, codes)
	}
	if s, r := f.upstream.Calls("search"), f.upstream.Calls("result"); s != 0 || r != 0 {
		t.Errorf("second instance called urlscan.io %d+%d times, want 0: Redis should have answered", s, r)
	}
	sightings := func(a answer) any {
		data, _ := a.json(t)["data"].(map[string]any)
		s, _ := data["sightings"].(map[string]any)
		return s["count"]
	}
	if got, want := sightings(second), sightings(first); got != want {
		t.Errorf("second instance: %v sightings, want the first's %v", got, want)
	}

	rs.Kill()
	for i, c := range []struct {
		base string
		body string
	}{
		{base1, body},                                // in the first's memory
		{base2, body},                                // in the second's memory
		{base1, observables("198.51.100.31")},        // fresh: Redis would be asked
		{base2, observables("198.51.100.32")},        // fresh, on the other instance
		{base2, observables("198.51.100.31")},        // cached by the first, which could not share it
		{base1, observables("192.0.2.7", "1.0.0.1")}, // fresh, several
	} {
		a := f.send(t, http.MethodPost, c.base+"/observe/observables", f.token, c.body, nil)
		if codes := a.errorCodes(t); a.status != http.StatusOK || len(codes) > 0 {
			t.Errorf("lookup %d with Redis down = %d %v, want a clean answer", i, a.status, codes)
		}
		// Redis is asked with a REDIS_TIMEOUT budget and then skipped for a
		// second; a lookup must never wait on it for long.
		if a.took > 2*time.Second {
			t.Errorf("lookup %d with Redis down took %s", i, a.took)
		}
	}
	for i, base := range []string{base1, base2} {
		if n := scrapeMetrics(t, f, base).value("cache_remote_errors_total"); n == 0 {
			t.Errorf("instance %d: cache_remote_errors_total = 0 with Redis down", i+1)
		}
	}
	for _, stop := range []func() error{stop1, stop2} {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
	for i, logs := range []*logtest.Buffer{logs1, logs2} {
		lines := logLines(t, logs.String())
		if !slices.ContainsFunc(lines, func(l map[string]any) bool { return l["msg"] == "redis connected" }) {
			t.Errorf("instance %d never logged that Redis was connected", i+1)
		}
	}
}

// TestRedisSharesRateLimitMark checks that a 429 seen by one relay stops
// the other from calling urlscan.io with that key: it fails fast with
// "too many requests" until urlscan's reset.
func TestRedisSharesRateLimitMark(t *testing.T) {
	f := newFixture(t, "ratelimit-key-Tq6n3Hs0")
	rs := redistest.Start(t)
	env := f.env(map[string]string{"REDIS_URL": rs.URL(), "REDIS_TIMEOUT": "1s"}) // room for a loaded machine
	base1, _, stop1 := startRelay(t, env)
	defer stop1()
	base2, _, stop2 := startRelay(t, env)
	defer stop2()

	f.upstream.Inject(urlscantest.Fault{Endpoint: "search", Status: http.StatusTooManyRequests, Times: 1,
		Header: http.Header{"X-Rate-Limit-Reset-After": {"60"}}})
	a := f.send(t, http.MethodPost, base1+"/observe/observables", f.token, observables("198.51.100.40"), nil)
	if codes := a.errorCodes(t); !slices.Equal(codes, []string{"too many requests"}) {
		t.Fatalf("first instance after a 429: errors %v, want too many requests", codes)
	}
	f.upstream.Reset()

	a = f.send(t, http.MethodPost, base2+"/observe/observables", f.token, observables("198.51.100.41"), nil)
	if codes := a.errorCodes(t); !slices.Equal(codes, []string{"too many requests"}) {
		t.Errorf("second instance: errors %v, want too many requests", codes)
	}
	if n := f.upstream.Calls("search"); n != 0 {
		t.Errorf("second instance searched urlscan.io %d times while the key is marked, want 0", n)
	}
	if a.took > time.Second {
		t.Errorf("second instance took %s to refuse, want it to fail fast", a.took)
	}
	if n := scrapeMetrics(t, f, base2).value("urlscan_requests_total", "endpoint", "search", "status", "blocked"); n != 1 {
		t.Errorf(`urlscan_requests_total{endpoint="search",status="blocked"} = %v, want 1`, n)
	}
}

// TestRedisTimeoutBoundsEachCommand checks that REDIS_TIMEOUT is the bound
// a hung Redis costs a lookup: the first lookup after Redis freezes waits
// about that long, once for every part that uses Redis (caches, scan book,
// rate-limit marks share one health gate), then answers without it.
func TestRedisTimeoutBoundsEachCommand(t *testing.T) {
	f := newFixture(t, "redis-timeout-key-Hb4")
	rs := redistest.Start(t)
	const redisTimeout = 2 * time.Second
	base, _, stop := startRelay(t, f.env(map[string]string{"REDIS_URL": rs.URL(), "REDIS_TIMEOUT": redisTimeout.String()}))
	defer stop()
	if err := rs.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rs.Thaw() }()
	a := f.send(t, http.MethodPost, base+"/observe/observables", f.token, observables("198.51.100.77"), nil)
	if codes := a.errorCodes(t); a.status != http.StatusOK || len(codes) > 0 {
		t.Fatalf("observe with Redis frozen = %d %v, want a clean answer", a.status, codes)
	}
	// The default 100 ms would answer well under a second; a part that
	// kept its own gate would pay the timeout again.
	if a.took < redisTimeout-100*time.Millisecond || a.took > redisTimeout+1500*time.Millisecond {
		t.Errorf("observe with Redis frozen took %s, want about REDIS_TIMEOUT (%s)", a.took, redisTimeout)
	}
}
