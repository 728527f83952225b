package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/logtest"
)

var exportToken = regexp.MustCompile(`(?m)^export TOKEN=(\S+)$`)

// startDemo runs `urlscan-relay demo` through run, as main does, and waits
// for its instructions.
func startDemo(t *testing.T, env map[string]string) (stdout, stderr *logtest.Buffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &logtest.Buffer{}, &logtest.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"urlscan-relay", "demo"}, func(k string) string { return env[k] }, stdout, stderr)
	}()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("demo did not stop")
			return nil
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stdout.String(), "Stop the demo with Ctrl-C.") {
		select {
		case err := <-done:
			t.Fatalf("demo exited early: %v\n%s\n%s", err, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = stop()
			t.Fatalf("demo printed no instructions:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	return stdout, stderr, stop
}

// curlLine is one printed curl command, read as curl would.
type curlLine struct {
	method, url, body string
	header            http.Header
}

// parseCurl reads the curl lines the demo prints: words split on blanks,
// '…' and "…" quoting, $TOKEN expanded inside double quotes.
func parseCurl(t *testing.T, line, token string) curlLine {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				t.Fatalf("unbalanced quote in %q", line)
			}
			s := line[i+1 : i+1+end]
			if c == '"' {
				s = strings.ReplaceAll(s, "$TOKEN", token)
			}
			cur.WriteString(s)
			inWord = true
			i += end + 1
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	c := curlLine{method: http.MethodGet, header: http.Header{}}
	for i := 1; i < len(words); i++ {
		switch words[i] {
		case "-s":
		case "-X":
			i++
			c.method = words[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(words[i], ":")
			c.header.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			c.body = words[i]
		default:
			if !strings.HasPrefix(words[i], "http://") {
				t.Fatalf("curl line %q: unexpected word %q", line, words[i])
			}
			c.url = words[i]
		}
	}
	return c
}

// send makes the request a curl line describes and decodes its JSON (or
// returns the text of /metrics).
func (c curlLine) send(t *testing.T) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var v map[string]any
	_ = json.Unmarshal(raw, &v)
	return res.StatusCode, v, string(raw)
}

// TestDemo starts the demo as a newcomer would, reads the printed token,
// and runs every printed curl line: each endpoint answers with data.
func TestDemo(t *testing.T) {
	stdout, stderr, stop := startDemo(t, map[string]string{"PORT": "0"})
	out := stdout.String()
	m := exportToken.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no export TOKEN= line:\n%s", out)
	}
	token := m[1]
	for _, want := range []string{"DEMO", "made-up data", demoPhishDomain, demoScriptHash, demoScanURL, "valid for 12h"} {
		if !strings.Contains(out, want) {
			t.Errorf("the instructions do not say %q", want)
		}
	}

	// What each endpoint must answer, by path: a fragment only data holds.
	want := map[string][]string{
		"/health": {`"status":"ok"`},
		"/observe/observables": {
			`"sightings":{"count":5`, // 3 scans of the domain (one deleted), 2 of the hash
			`"judgements":{"count":4`, `"disposition_name":"Malicious"`, `"verdicts":{"count":2`,
			`Classified as phishing`, `"relationships":`,
		},
		"/deliberate/observables": {`"verdicts":{"count":1`, `"value":"` + demoPhishIP + `"`},
		"/refer/observables":      {`ref-urlscan-search-url-`, `"url":"https://urlscan.io/search/`},
		"/respond/observables":    {`"urlscan-scan-private"`, `"urlscan-scan-unlisted"`, `"urlscan-scan-public"`},
		"/respond/trigger":        {`"status":"success"`},
		"/tiles":                  {`"urlscan-quota"`, `"urlscan-recent-scans"`, `"urlscan-verdicts"`},
		"/tiles/tile":             {`"urlscan-quota"`, `"metric_group"`},
		// Two lines: today's quota, from the fake's quotas endpoint, and
		// the scan the trigger line submitted.
		"/tiles/tile-data": {`left today (of 1000)`, `https://new\\-campaign\\.example\\.com/offer`}, // markdown-escaped, in JSON
		"/version":         {`"version":"` + version + `"`},
		"/watchdog":        {`"data":"ping"`},
		"/":                {`"demo":true`, `DEMO:`, `"/observe/observables"`},
		"/healthz":         {`"status":"ok"`},
		"/readyz":          {`"status":"ready"`},
		"/metrics":         {`relay_http_requests_total{method="POST",outcome="ok",route="/observe/observables"}`},
	}
	seen := map[string]bool{}
	var metrics *curlLine
	answers := map[string]string{} // what each path answered, every line of it
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		c := parseCurl(t, line, token)
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		path := u.Path
		if c.body == "" && c.method == http.MethodPost && path != "/health" && path != "/version" && path != "/tiles" {
			t.Errorf("%s: a POST without a body", line)
		}
		if path == "/metrics" {
			metrics = &c // scraped last, once every other line has been counted
			seen[path] = true
			continue
		}
		status, v, raw := c.send(t)
		if status != http.StatusOK || v == nil || v["errors"] != nil {
			t.Errorf("%s\n= %d %s, want 200 without errors", line, status, raw)
			continue
		}
		if _, ok := want[path]; !ok {
			t.Errorf("printed a curl line for %s, which the test does not check", path)
		}
		answers[path] += raw
		seen[path] = true
	}
	for path, raw := range answers {
		for _, frag := range want[path] {
			if !strings.Contains(raw, frag) {
				t.Errorf("POST %s = %s\nwant it to hold %s", path, raw, frag)
			}
		}
	}
	if metrics != nil {
		status, _, text := metrics.send(t)
		for _, frag := range want["/metrics"] {
			if status != http.StatusOK || !strings.Contains(text, frag) {
				t.Errorf("GET /metrics = %d, lacks %s", status, frag)
			}
		}
	}
	for path := range want {
		if !seen[path] {
			t.Errorf("no curl line for %s", path)
		}
	}
	// Without the token, the answer says it is missing: what a newcomer
	// gets when TOKEN is not exported.
	c := parseCurl(t, `curl -s -X POST `+"http://"+listenAddr(t, stderr.String())+`/health -H "Authorization: Bearer $TOKEN"`, "")
	if _, _, raw := c.send(t); !strings.Contains(raw, "Authorization header is missing") {
		t.Errorf("unset TOKEN: %s, want Authorization header is missing", raw)
	}

	if err := stop(); err != nil {
		t.Fatalf("demo stopped with %v", err)
	}
	logs := stderr.String()
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.Contains(l, `"demo":true`) {
			t.Errorf("log line not marked as demo: %s", l)
		}
	}
	if strings.Contains(logs, token) || strings.Contains(logs, demoAPIKey) {
		t.Error("the demo's log holds the token or the key")
	}
}

var demoListening = regexp.MustCompile(`"msg":"listening","demo":true,"addr":"([^"]+)"`)

func listenAddr(t *testing.T, logs string) string {
	t.Helper()
	m := demoListening.FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no listening line in %s", logs)
	}
	return m[1]
}

// TestDemoUnderBasePath checks that the printed lines follow BASE_PATH and
// the token's audience with it.
func TestDemoUnderBasePath(t *testing.T) {
	stdout, _, stop := startDemo(t, map[string]string{"PORT": "0", "BASE_PATH": "/integrations/urlscanio"})
	defer stop()
	out := stdout.String()
	token := exportToken.FindStringSubmatch(out)[1]
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "curl ") || !strings.Contains(line, "/observe/observables") {
			continue
		}
		n++
		c := parseCurl(t, line, token)
		if !strings.Contains(c.url, "/integrations/urlscanio/observe/observables") {
			t.Errorf("curl line %s ignores BASE_PATH", line)
		}
		if status, _, raw := c.send(t); status != http.StatusOK || !strings.Contains(raw, `"sightings"`) {
			t.Errorf("observe under BASE_PATH = %d %s", status, raw)
		}
	}
	if n != 1 {
		t.Errorf("%d observe lines, want 1", n)
	}
}

// TestDemoRefusesRealServices checks that the demo never starts pointed at
// a real urlscan.io or JWKS host.
func TestDemoRefusesRealServices(t *testing.T) {
	for _, name := range []string{"URLSCAN_API_URL", "JWKS_HOSTS"} {
		env := map[string]string{"PORT": "0", name: "https://urlscan.io/api/v1"}
		if name == "JWKS_HOSTS" {
			env[name] = "visibility.amp.cisco.com"
		}
		var stdout strings.Builder
		err := run(context.Background(), []string{"urlscan-relay", "demo"}, func(k string) string { return env[k] }, &stdout, io.Discard)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("demo with %s set = %v, want a refusal naming it", name, err)
		}
		if stdout.Len() != 0 {
			t.Errorf("demo with %s set printed %q", name, stdout.String())
		}
	}
}

// TestDemoScanFinishes triggers a scan of the observable the data set does
// not know, and observes it until the finished scan shows, judged
// malicious: the fake's scan follow-up, through the relay's.
func TestDemoScanFinishes(t *testing.T) {
	t.Parallel()
	stdout, stderr, stop := startDemo(t, map[string]string{"PORT": "0"})
	defer stop()
	token := exportToken.FindStringSubmatch(stdout.String())[1]
	base := "http://" + listenAddr(t, stderr.String())
	observe := parseCurl(t, `curl -s -X POST `+base+`/observe/observables -H "Authorization: Bearer $TOKEN" -d '[{"type":"url","value":"`+demoScanURL+`"}]'`, token)
	if _, _, raw := observe.send(t); strings.Contains(raw, `"sightings"`) {
		t.Fatalf("observe before the scan = %s, want no sighting", raw)
	}
	trigger := parseCurl(t, `curl -s -X POST `+base+`/respond/trigger -H "Authorization: Bearer $TOKEN" -d '{"action-id":"urlscan-scan-private","observable_type":"url","observable_value":"`+demoScanURL+`","visibility":"private"}'`, token)
	if _, _, raw := trigger.send(t); !strings.Contains(raw, `"status":"success"`) {
		t.Fatalf("trigger = %s", raw)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, raw := observe.send(t)
		if strings.Contains(raw, `"sightings":{"count":1`) && strings.Contains(raw, `"disposition_name":"Malicious"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the triggered scan did not show within 30 s: %s", raw)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
