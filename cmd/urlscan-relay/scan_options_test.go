package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestScanOptionsReachUrlscan checks, against the fake urlscan.io, what a
// trigger sends and what SCAN_DENY keeps from it: SCAN_TAGS and
// SCAN_COUNTRY travel with every submission, a denied domain (and its
// subdomains) is refused with the reason and never sent, nor offered by
// /respond/observables, and urlscan.io's own 400 reaches the analyst as a
// bad request in urlscan's words.
func TestScanOptionsReachUrlscan(t *testing.T) {
	f := newFixture(t, "scan-options-key-7Hq2")
	base, _, stop := startRelay(t, f.env(map[string]string{
		"SCAN_TAGS":    "xdr,soc-triage",
		"SCAN_COUNTRY": "DE",
		"SCAN_DENY":    "corp.example",
		"SCAN_WAIT":    "0",
	}))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	trigger := func(typ, value string) answer {
		body := `{"action-id":"urlscan-scan-private","observable_type":"` + typ + `","observable_value":"` + value + `"}`
		return f.send(t, http.MethodPost, base+"/respond/trigger", f.token, body, nil)
	}

	if got := string(trigger("url", "https://www.test.example/login").body); !strings.Contains(got, `"status":"success"`) {
		t.Fatalf("trigger = %s", got)
	}
	var sent []map[string]any
	for _, r := range f.upstream.Requests() {
		if r.Endpoint == "scan" {
			var m map[string]any
			if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
				t.Fatalf("scan body %q: %v", r.Body, err)
			}
			sent = append(sent, m)
		}
	}
	want := map[string]any{"url": "https://www.test.example/login", "visibility": "private", "tags": []any{"xdr", "soc-triage"}, "country": "de"}
	if len(sent) != 1 || !cmp.Equal(sent[0], want) {
		t.Errorf("submissions = %v, want [%v]", sent, want)
	}

	f.upstream.Reset()
	for _, v := range []struct{ typ, value string }{{"domain", "corp.example"}, {"hostname", "vpn.CORP.example"}, {"url", "https://sso.corp.example/x"}} {
		got := trigger(v.typ, v.value)
		if codes := got.errorCodes(t); len(codes) != 1 || codes[0] != "invalid argument" || !strings.Contains(string(got.body), "SCAN_DENY") {
			t.Errorf("trigger %s %s = %s, want an invalid argument naming SCAN_DENY", v.typ, v.value, got.body)
		}
	}
	if n := f.upstream.Calls("scan"); n != 0 {
		t.Errorf("denied triggers made %d submissions, want 0", n)
	}
	offered := f.send(t, http.MethodPost, base+"/respond/observables", f.token,
		`[{"type":"domain","value":"corp.example"},{"type":"url","value":"https://a.corp.example/"},{"type":"domain","value":"ok.example"}]`, nil)
	if b := string(offered.body); strings.Contains(b, "corp.example") || !strings.Contains(b, "ok.example") {
		t.Errorf("/respond/observables = %s, want scans of ok.example only", b)
	}

	f.upstream.Inject(urlscantest.Fault{Endpoint: "scan", Status: http.StatusBadRequest,
		Body: `{"message":"Scan prevented: the domain is blacklisted","description":"This domain is blocked from scanning.","status":400}`})
	got := trigger("domain", "blocked.example")
	if codes := got.errorCodes(t); len(codes) != 1 || codes[0] != "bad request" ||
		!strings.Contains(string(got.body), "Scan prevented: the domain is blacklisted: This domain is blocked from scanning.") {
		t.Errorf("trigger answered 400 = %s, want a bad request with urlscan's text", got.body)
	}
}
