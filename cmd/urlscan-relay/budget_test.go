package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// popularFixture is a fixture whose fake urlscan.io has 100 scans of
// everything: every observable is a popular one.
func popularFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, "budget-key-9Qe2")
	f.upstream = urlscantest.NewServer(urlscantest.Options{APIKey: f.apiKey, Hits: 100})
	t.Cleanup(f.upstream.Close)
	return f
}

func domainsBody(prefix string, n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`{"type":"domain","value":"%s%d.example"}`, prefix, i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func sightingCount(t *testing.T, a answer) float64 {
	t.Helper()
	data, _ := a.json(t)["data"].(map[string]any)
	s, _ := data["sightings"].(map[string]any)
	n, _ := s["count"].(float64)
	return n
}

// TestBudgetEndToEnd runs the relay as configured by default, with a token
// that names no entities limit, against popular observables.
func TestBudgetEndToEnd(t *testing.T) {
	f := popularFixture(t)
	base, _, stop := startRelay(t, f.env(nil))
	defer func() { _ = stop() }()

	a := f.send(t, http.MethodPost, base+"/observe/observables", f.token, domainsBody("pop", 4), nil)
	if codes := a.errorCodes(t); a.status != http.StatusOK || len(codes) > 0 {
		t.Fatalf("observe = %d %v", a.status, codes)
	}
	if s, r := f.upstream.Calls("search"), f.upstream.Calls("result"); s != 4 || r > 40 {
		t.Errorf("4 popular observables cost %d searches and %d results; want 4 and at most 40", s, r)
	}
	if n := sightingCount(t, a); n != 400 {
		t.Errorf("sightings = %v, want 400", n)
	}

	f.upstream.Reset()
	a = f.send(t, http.MethodPost, base+"/observe/observables", f.token, domainsBody("many", 50), nil)
	if codes := a.errorCodes(t); len(codes) > 0 {
		t.Fatalf("observe of 50 = %v", codes)
	}
	if r := f.upstream.Calls("result"); r > 100 {
		t.Errorf("50 popular observables cost %d results, want at most 100", r)
	}

	f.upstream.Reset()
	a = f.send(t, http.MethodPost, base+"/refer/observables", f.token, domainsBody("ref", 4), nil)
	if codes := a.errorCodes(t); len(codes) > 0 || !strings.Contains(string(a.body), "ref-urlscan-latest-domain-ref0.example") {
		t.Fatalf("refer = %v %s", codes, a.body)
	}
	for _, r := range f.upstream.Requests() {
		if r.Endpoint != "search" || r.Size != "1" {
			t.Errorf("refer asked %s %s size=%s, want searches of size 1 only", r.Method, r.Path, r.Size)
		}
	}
	if s := f.upstream.Calls("search"); s != 4 {
		t.Errorf("refer made %d searches, want one per observable", s)
	}

	f.upstream.Reset()
	a = f.send(t, http.MethodPost, base+"/health", f.token, "", nil)
	if codes := a.errorCodes(t); a.status != http.StatusOK || len(codes) > 0 {
		t.Fatalf("health = %d %v %s", a.status, codes, a.body)
	}
	if q, s := f.upstream.Calls("quotas"), f.upstream.Calls("search"); q != 1 || s != 0 {
		t.Errorf("health made %d quotas calls and %d searches; want 1 and none", q, s)
	}
}

// TestBudgetOff checks that RESULTS_PER_OBSERVABLE=0 fetches every hit's
// result, as the original relay did.
func TestBudgetOff(t *testing.T) {
	f := popularFixture(t)
	base, _, stop := startRelay(t, f.env(map[string]string{"RESULTS_PER_OBSERVABLE": "0"}))
	defer func() { _ = stop() }()
	a := f.send(t, http.MethodPost, base+"/observe/observables", f.token, domainsBody("all", 4), nil)
	if codes := a.errorCodes(t); len(codes) > 0 {
		t.Fatalf("observe = %v", codes)
	}
	if s, r := f.upstream.Calls("search"), f.upstream.Calls("result"); s != 4 || r != 400 {
		t.Errorf("calls = %d searches, %d results; want 4 and 400", s, r)
	}
}
