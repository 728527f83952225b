package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// logLines parses a JSON log, one object per line.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("log line is not a JSON object: %s", sc.Text())
			continue
		}
		out = append(out, m)
	}
	return out
}

// requestLine finds the request line with the given request id.
func requestLine(lines []map[string]any, id string) map[string]any {
	for _, l := range lines {
		if l["msg"] == "request" && l["request_id"] == id {
			return l
		}
	}
	return nil
}

var mintedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestLogLines drives a relay at LOG_LEVEL=debug through good requests and
// every kind of failure the log reports (a retried 503, a spent quota, a
// refused key, a bad token, bad JSON), then checks that every line is
// JSON, that each request has one line with the fields an SRE filters on,
// and that no line holds the API key or the token.
func TestLogLines(t *testing.T) {
	const (
		apiKey     = "logs-key-Hx93bQ7wVn"
		refusedKey = "logs-refused-key-Pm4tY8"
	)
	f := newFixture(t, apiKey)
	base, logs, stop := startRelay(t, f.env(map[string]string{"LOG_LEVEL": "debug"}))
	refused := f.issuer.Token(map[string]any{"key": refusedKey, "aud": audience})
	wrongAud := f.issuer.Token(map[string]any{"key": apiKey, "aud": "https://elsewhere.example"})
	other, err := authtest.NewIssuer() // signs with a key the relay's JWKS host does not have
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	forged := other.Token(map[string]any{"key": apiKey, "aud": audience, "jwks_host": f.issuer.Host()})

	f.upstream.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusServiceUnavailable, Times: 1})
	f.upstream.Inject(urlscantest.Fault{Endpoint: "search", Match: "203.0.113.9", Header: http.Header{
		"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset-After": {"30"},
	}})
	const givenID = "ops-req-4711"
	a := f.send(t, http.MethodPost, base+"/observe/observables", f.token, observables("1.1.1.1", "203.0.113.9"),
		map[string]string{"X-Request-ID": givenID})
	// Each lookup is one call, however many attempts it took: one result
	// was tried twice.
	wantCalls := float64(f.upstream.Calls("search") + f.upstream.Calls("result") - 1)
	if got := a.header.Get("X-Request-ID"); got != givenID {
		t.Errorf("X-Request-ID echoed %q, want %q", got, givenID)
	}
	a = f.send(t, http.MethodPost, base+"/deliberate/observables", f.token, observables("1.1.1.1"), nil)
	minted := a.header.Get("X-Request-ID")
	if !mintedID.MatchString(minted) {
		t.Errorf("minted X-Request-ID %q, want 32 hex digits", minted)
	}
	for _, tok := range []string{refused, wrongAud, forged, "not-a-jwt", f.token} {
		f.send(t, http.MethodPost, base+"/observe/observables", tok, observables("192.0.2.44"), nil)
	}
	f.send(t, http.MethodPost, base+"/observe/observables", f.token, `{"not":"a list"`, nil)
	const healthID = "ops-health-1"
	f.send(t, http.MethodPost, base+"/health", refused, "", map[string]string{"X-Request-ID": healthID})
	// Where urlscan.io has no quotas endpoint, /health falls back to a
	// search: two calls.
	const fallbackID = "ops-health-2"
	f.upstream.Inject(urlscantest.Fault{Endpoint: "quotas", Status: http.StatusNotFound, Times: 1})
	f.send(t, http.MethodPost, base+"/health", f.token, "", map[string]string{"X-Request-ID": fallbackID})
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		f.send(t, http.MethodGet, base+path, "", "", nil)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	out := logs.String()
	lines := logLines(t, out)
	for _, want := range []string{"urlscan call retried", "urlscan quota spent"} {
		if !strings.Contains(out, `"msg":"`+want+`"`) {
			t.Errorf("the log lacks %q; the test no longer covers that line", want)
		}
	}

	line := requestLine(lines, givenID)
	if line == nil {
		t.Fatalf("no request line with request_id %s:\n%s", givenID, out)
	}
	want := map[string]any{
		"level": "INFO", "method": "POST", "route": "/observe/observables",
		"status": float64(200), "outcome": "ok", "observables": float64(2),
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("request line %s = %v, want %v", k, line[k], v)
		}
	}
	if line["urlscan_calls"] != wantCalls {
		t.Errorf("urlscan_calls = %v, want %v", line["urlscan_calls"], wantCalls)
	}
	if hits, ok := line["cache_hits"].(float64); !ok || hits != 0 {
		t.Errorf("cache_hits = %v, want 0 on a cold cache", line["cache_hits"])
	}
	if line := requestLine(lines, minted); line == nil {
		t.Errorf("no request line with the minted request_id %s", minted)
	} else if hits, _ := line["cache_hits"].(float64); hits == 0 || line["urlscan_calls"] != float64(0) {
		t.Errorf("deliberate after observe: cache_hits %v, urlscan_calls %v; want hits and no calls", line["cache_hits"], line["urlscan_calls"])
	}

	// /health asks urlscan.io once, even when urlscan refuses the key.
	if line := requestLine(lines, healthID); line == nil {
		t.Errorf("no request line for /health")
	} else if line["urlscan_calls"] != float64(1) {
		t.Errorf("/health urlscan_calls = %v, want 1", line["urlscan_calls"])
	}
	if line := requestLine(lines, fallbackID); line == nil {
		t.Errorf("no request line for the /health that fell back to a search")
	} else if line["urlscan_calls"] != float64(2) {
		t.Errorf("/health with the fallback: urlscan_calls = %v, want 2", line["urlscan_calls"])
	}

	requests := 0
	for _, l := range lines {
		if l["msg"] != "request" {
			continue
		}
		requests++
		for _, k := range []string{"time", "request_id", "method", "route", "status", "outcome", "duration_ms", "observables", "urlscan_calls", "cache_hits"} {
			if _, ok := l[k]; !ok {
				t.Errorf("request line lacks %s: %v", k, l)
			}
		}
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("duration_ms is not a number: %v", l)
		}
		if l["outcome"] != "ok" {
			if _, ok := l["error_codes"]; !ok && l["status"] == float64(200) {
				t.Errorf("failed TR request line lacks error_codes: %v", l)
			}
		}
	}
	if requests != 13 {
		t.Errorf("%d request lines, want one per request (13)", requests)
	}

	secrets := map[string]string{"API key": apiKey, "refused API key": refusedKey}
	for name, tok := range map[string]string{"token": f.token, "refused token": refused, "wrong-audience token": wrongAud, "forged token": forged} {
		parts := strings.Split(tok, ".")
		secrets[name] = tok
		secrets[name+" payload"] = parts[1]
		secrets[name+" signature"] = parts[2]
	}
	for what, v := range secrets {
		if strings.Contains(out, v) {
			t.Errorf("the log holds the %s", what)
		}
	}
}
