package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// The fault matrix: every failure the fake urlscan.io can inject, on every
// endpoint the relay calls, through every route that calls it. Each answer
// must carry the PROTOCOL.md §2 error, keep the data of the observable that did
// not fail, come within REQUEST_TIMEOUT, and leak neither the API key nor
// the token anywhere; TestMain then checks that no goroutine outlived it.

// The observables of a two-observable request: urlscan.io fails only for
// broken; healthy's data must still be in the answer.
const (
	healthyIP     = "1.1.1.1" // the recorded fixtures: two hits, one malicious
	brokenDomain  = "broken.example"
	twoObservable = `[{"type":"ip","value":"` + healthyIP + `"},{"type":"domain","value":"` + brokenDomain + `"}]`
)

// healthyScans are the fixture scans of healthyIP, which result faults
// must spare.
var healthyScans = []string{"13cde17f", "14afd7c3"}

// faultTarget is one route and the upstream calls of it that fail.
type faultTarget struct {
	name   string
	path   string
	body   string
	inject func(up *urlscantest.Server, f urlscantest.Fault)
	// kept checks the data that must survive the fault.
	kept func(t *testing.T, data any)
}

func faultTargets() []faultTarget {
	everyCall := func(endpoint string) func(*urlscantest.Server, urlscantest.Fault) {
		return func(up *urlscantest.Server, f urlscantest.Fault) {
			f.Endpoint = endpoint
			up.Inject(f)
		}
	}
	brokenSearch := func(up *urlscantest.Server, f urlscantest.Fault) {
		f.Endpoint, f.Match = "search", brokenDomain
		up.Inject(f)
	}
	brokenResults := func(up *urlscantest.Server, f urlscantest.Fault) {
		// The first matching fault applies: one that changes nothing keeps
		// healthyIP's scans normal, so only brokenDomain's scans fail.
		for _, id := range healthyScans {
			up.Inject(urlscantest.Fault{Endpoint: "result", Match: id})
		}
		f.Endpoint = "result"
		up.Inject(f)
	}
	observed := func(wantBrokenSightings int) func(*testing.T, any) {
		return func(t *testing.T, data any) {
			t.Helper()
			if got := countObservable(data, "sightings", healthyIP); got != 2 {
				t.Errorf("sightings of %s = %d, want 2", healthyIP, got)
			}
			if got := countObservable(data, "verdicts", healthyIP); got != 1 {
				t.Errorf("verdicts of %s = %d, want 1", healthyIP, got)
			}
			if got := countObservable(data, "sightings", brokenDomain); got != wantBrokenSightings {
				t.Errorf("sightings of %s = %d, want %d", brokenDomain, got, wantBrokenSightings)
			}
		}
	}
	deliberated := func(t *testing.T, data any) {
		t.Helper()
		if got := countObservable(data, "verdicts", healthyIP); got != 1 {
			t.Errorf("verdicts of %s = %d, want 1", healthyIP, got)
		}
	}
	referred := func(t *testing.T, data any) {
		t.Helper()
		if !strings.Contains(asJSON(data), "ref-urlscan-search-ip-"+healthyIP) {
			t.Errorf("no reference for %s", healthyIP)
		}
	}
	nothing := func(*testing.T, any) {}
	return []faultTarget{
		// Health asks the quotas endpoint, which spends no quota…
		{"health", "/health", "", everyCall("quotas"), nothing},
		// …and where urlscan.io has none (404), one search for one hit.
		{"health without quotas", "/health", "", func(up *urlscantest.Server, f urlscantest.Fault) {
			up.Inject(urlscantest.Fault{Endpoint: "quotas", Status: http.StatusNotFound})
			everyCall("search")(up, f)
		}, nothing},
		// The search fails: no sighting of brokenDomain.
		{"observe search", "/observe/observables", twoObservable, brokenSearch, observed(0)},
		// Only the result documents fail: brokenDomain's three sightings stay.
		{"observe result", "/observe/observables", twoObservable, brokenResults, observed(3)},
		{"deliberate search", "/deliberate/observables", twoObservable, brokenSearch, deliberated},
		{"deliberate result", "/deliberate/observables", twoObservable, brokenResults, deliberated},
		{"refer search", "/refer/observables", twoObservable, brokenSearch, referred},
		{"trigger scan", "/respond/trigger",
			`{"action-id":"urlscan-scan-private","observable_type":"domain","observable_value":"` + brokenDomain + `"}`,
			everyCall("scan"), nothing},
	}
}

func TestFaultMatrix(t *testing.T) {
	iss := authtest.Start(t)
	const (
		unavailable = "The urlscan.io is unavailable. Please, try again later."
		tooMany     = "Too many requests have been made to URLScan. Please, try again later."
		// blockDelay holds a 429 back until the healthy observable's calls
		// are done: urlscan.io limits a key per action, so a 429 that names
		// a wait rightly holds back the key's later calls of that action.
		blockDelay = 400 * time.Millisecond
	)
	faults := []struct {
		name          string
		fault         urlscantest.Fault
		mutate        func(*config.Config)
		within        time.Duration // when set, a tighter bound than REQUEST_TIMEOUT
		code, message string        // message: a prefix
	}{
		{name: "429 wait beyond the deadline", fault: urlscantest.Fault{Status: 429, Delay: blockDelay,
			Header: http.Header{"X-Rate-Limit-Reset-After": {"3600"}, "X-Rate-Limit-Remaining": {"0"}}},
			code: "too many requests", message: tooMany},
		{name: "429 short wait, retried", fault: urlscantest.Fault{Status: 429, Delay: blockDelay,
			Header: http.Header{"X-Rate-Limit-Reset-After": {"0.05"}}},
			code: "too many requests", message: tooMany},
		{name: "429 Retry-After", fault: urlscantest.Fault{Status: 429, Delay: blockDelay,
			Header: http.Header{"Retry-After": {"3600"}}},
			code: "too many requests", message: tooMany},
		{name: "429 without headers", fault: urlscantest.Fault{Status: 429}, code: "too many requests", message: tooMany},
		{name: "401", fault: urlscantest.Fault{Status: 401}, code: "permission denied", message: "The request is missing a valid API key."},
		{name: "500", fault: urlscantest.Fault{Status: 500}, code: "internal error", message: "The URLScan internal error."},
		{name: "502", fault: urlscantest.Fault{Status: 502}, code: "service unavailable", message: unavailable},
		{name: "503", fault: urlscantest.Fault{Status: 503}, code: "service unavailable", message: unavailable},
		{name: "504", fault: urlscantest.Fault{Status: 504}, code: "service unavailable", message: unavailable},
		{name: "reset mid-body", fault: urlscantest.Fault{Reset: true}, code: "service unavailable", message: unavailable},
		{name: "connection dropped", fault: urlscantest.Fault{Drop: true}, code: "service unavailable", message: unavailable},
		// One call and its one retry, each cut at URLSCAN_TIMEOUT (1s),
		// well before REQUEST_TIMEOUT (5s).
		{name: "slower than URLSCAN_TIMEOUT", fault: urlscantest.Fault{Delay: 10 * time.Second},
			within: 3500 * time.Millisecond, code: "service unavailable", message: unavailable},
		{name: "slower than REQUEST_TIMEOUT", fault: urlscantest.Fault{Delay: 10 * time.Second},
			mutate: func(c *config.Config) { c.RequestTimeout, c.URLScanTimeout = time.Second, time.Second },
			code:   "service unavailable", message: unavailable},
		{name: "not JSON", fault: urlscantest.Fault{Body: "<html>oops</html>"}, code: "unknown", message: "urlscan answer is not valid JSON"},
		{name: "truncated JSON", fault: urlscantest.Fault{Body: `{"results":[{"_id":"ab`}, code: "unknown", message: "urlscan answer is not valid JSON"},
		{name: "JSON not an object", fault: urlscantest.Fault{Body: `[1,2]`}, code: "unknown", message: "urlscan answer is not a JSON object"},
		// The cap is met once a quarter of the body has arrived; a loaded
		// machine gets time enough for that.
		{name: "document over the cap", fault: urlscantest.Fault{BodySize: 4 * watchedMaxDocument},
			mutate: func(c *config.Config) { c.RequestTimeout, c.URLScanTimeout = 15*time.Second, 5*time.Second },
			code:   "unknown", message: "urlscan answer too large"},
		{name: "redirect loop 302", fault: urlscantest.Fault{Status: 302}, code: "unknown", message: "urlscan answered with a redirect that was not followed"},
		{name: "redirect loop 307", fault: urlscantest.Fault{Status: 307}, code: "unknown", message: "urlscan answered with a redirect that was not followed"},
		{name: "error echoing the key", fault: urlscantest.Fault{Status: 418, Body: `{"message":"key ` + testKey + ` is a teapot"}`},
			code: "unknown", message: "418 key [redacted] is a teapot"},
	}
	for _, f := range faults {
		for _, tg := range faultTargets() {
			t.Run(f.name+"/"+tg.name, func(t *testing.T) {
				t.Parallel()
				s := newWatchedStack(t, iss, f.mutate)
				tg.inject(s.upstream, f.fault)
				tok := s.token(nil)
				raw, took := s.post(t, tg.path, "Bearer "+tok, tg.body)
				limit := s.cfg.RequestTimeout + time.Second
				if f.within > 0 {
					limit = f.within
				}
				if took > limit {
					t.Errorf("answered after %v, want within %v (REQUEST_TIMEOUT %v)", took, limit, s.cfg.RequestTimeout)
				}
				var got struct {
					Data   any       `json:"data"`
					Errors []trError `json:"errors"`
				}
				if err := json.Unmarshal([]byte(raw), &got); err != nil {
					t.Fatalf("answer %s: %v", raw, err)
				}
				if len(got.Errors) != 1 || string(got.Errors[0].Code) != f.code || !strings.HasPrefix(got.Errors[0].Message, f.message) {
					t.Errorf("got %s\nwant one error, code %q, message starting %q", raw, f.code, f.message)
				}
				if tg.path == "/respond/trigger" && asJSON(got.Data) != `{"status":"failure"}` {
					t.Errorf("trigger failure without status failure: %s", raw)
				}
				tg.kept(t, got.Data)
				s.assertNoSecrets(t, testKey, tok, raw)
			})
		}
	}
}

// countObservable counts the entities of kind in observe or deliberate
// data whose observable has value.
func countObservable(data any, kind, value string) int {
	m, _ := data.(map[string]any)
	docs, _ := m[kind].(map[string]any)
	list, _ := docs["docs"].([]any)
	n := 0
	for _, d := range list {
		e, _ := d.(map[string]any)
		if o, _ := e["observable"].(map[string]any); o["value"] == value {
			n++
		}
		// Sightings name their observables in a list.
		obs, _ := e["observables"].([]any)
		for _, x := range obs {
			if o, _ := x.(map[string]any); o["value"] == value {
				n++
			}
		}
	}
	return n
}
