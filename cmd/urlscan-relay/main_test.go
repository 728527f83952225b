package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/logtest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

var listening = regexp.MustCompile(`"msg":"listening","addr":"[^"]*:(\d+)"`)

// startRelay runs the relay through run, as main does, configured only by
// environment variables, and returns its base URL and log.
func startRelay(t *testing.T, env map[string]string) (string, *logtest.Buffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logtest.Buffer{}
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, []string{"urlscan-relay"}, getenv, logs, io.Discard) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(20 * time.Second):
					t.Fatal("relay did not stop")
					return nil
				}
			}
			return "http://127.0.0.1:" + m[1], logs, stop
		}
		select {
		case err := <-done:
			t.Fatalf("relay exited early: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("relay did not report listening:\n%s", logs.String())
	return "", nil, nil
}

func post(t *testing.T, url, token, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d", url, res.StatusCode)
	}
	var got map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return got
}

func TestEndToEnd(t *testing.T) {
	const apiKey = "e2e-distinctive-api-key-4f1c2b"
	upstream := urlscantest.NewServer(urlscantest.Options{APIKey: apiKey})
	defer upstream.Close()
	issuer, err := authtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer issuer.Close()
	certFile := filepath.Join(t.TempDir(), "jwks-ca.pem")
	if err := os.WriteFile(certFile, issuer.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}

	base, logs, stop := startRelay(t, map[string]string{
		"PORT":            "0",
		"URLSCAN_API_URL": upstream.URL,
		"JWKS_HOSTS":      issuer.Host(),
		"RELAY_AUDIENCE":  "https://relay.example",
		"SSL_CERT_FILE":   certFile,
		"LOG_LEVEL":       "debug",
		"SHUTDOWN_DELAY":  "0",
		"METRICS_ADDR":    ":0",
	})
	token := issuer.Token(map[string]any{"key": apiKey, "aud": "https://relay.example"})

	if got := post(t, base+"/version", "", ""); got["version"] != version {
		t.Errorf("/version = %v, want %s", got, version)
	}
	if got := post(t, base+"/health", token, ""); !strings.Contains(mustJSON(got), `"status":"ok"`) {
		t.Errorf("/health = %v", got)
	}
	obs := `[{"type":"ip","value":"1.1.1.1"},{"type":"email","value":"x@y.z"}]`
	observed := post(t, base+"/observe/observables", token, obs)
	data, _ := observed["data"].(map[string]any)
	for _, kind := range []string{"sightings", "judgements", "indicators", "relationships", "verdicts"} {
		if _, ok := data[kind]; !ok {
			t.Errorf("observe lacks %s: %s", kind, mustJSON(observed))
		}
	}
	if got := post(t, base+"/refer/observables/", token, obs); !strings.Contains(mustJSON(got), "ref-urlscan-search-ip-1.1.1.1") {
		t.Errorf("/refer = %s", mustJSON(got))
	}
	if got := post(t, base+"/deliberate/observables", token, obs); !strings.Contains(mustJSON(got), `"verdicts"`) {
		t.Errorf("/deliberate = %s", mustJSON(got))
	}
	wrongAud := issuer.Token(map[string]any{"key": apiKey, "aud": "https://elsewhere.example"})
	if got := post(t, base+"/observe/observables", wrongAud, obs); !strings.Contains(mustJSON(got), "Wrong configuration-token-audience") {
		t.Errorf("wrong audience = %s", mustJSON(got))
	}

	if err := stop(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
	out := logs.String()
	if strings.Contains(out, apiKey) || strings.Contains(out, token) {
		t.Error("the log holds the API key or the token")
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("log line is not JSON: %s", sc.Text())
		}
	}
}

// A bad value stops the relay at start with an error naming its variable,
// never quoting a secret: the ones config refuses, and the ones only their
// user can judge (auth.New: the jwks hosts, the shared key's length).
func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct{ name, value string }{
		{"PORT", "not-a-port"},
		{"JWKS_HOSTS", "a@b.com"},
		{"JWKS_HOSTS", "host/path"},
		{"JWKS_HOSTS", "host:99999"},
		{"CONFIGURATION_TOKEN_KEY", "hunter2"},
		{"CONFIGURATION_TOKEN_KEY", "hunter2-and-24-more-bytes-is-31"},
		{"CONFIGURATION_TOKEN_KEY", "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			var stderr bytes.Buffer
			env := map[string]string{"PORT": "0", tt.name: tt.value}
			err := run(context.Background(), []string{"urlscan-relay"}, func(k string) string { return env[k] }, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("run with %s=%q = %v, want an error naming %s", tt.name, tt.value, err, tt.name)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q echoes a secret", err)
			}
		})
	}
}

// The collector's settings are set by main, for serve only: a soft memory
// limit unless GOMEMLIMIT is set, and GOGC unless GOGC is set or no limit
// holds; run sets nothing process-wide.
func TestCollectorSettings(t *testing.T) {
	const limit16 = (16 + softMemoryHeadroomMB) << 20
	tests := []struct {
		args []string
		env  map[string]string
		want gcSettings
	}{
		{[]string{"urlscan-relay"}, nil, gcSettings{limit16, gcPercent}},
		{[]string{"urlscan-relay", "serve"}, map[string]string{"CACHE_MAX_MB": "100"}, gcSettings{(100 + softMemoryHeadroomMB) << 20, gcPercent}},
		{[]string{"urlscan-relay", "serve"}, map[string]string{"GOGC": "50"}, gcSettings{limit16, 0}},
		{[]string{"urlscan-relay", "serve"}, map[string]string{"GOMEMLIMIT": "1GiB"}, gcSettings{0, gcPercent}},
		{[]string{"urlscan-relay", "serve"}, map[string]string{"GOMEMLIMIT": "Off"}, gcSettings{}},
		{[]string{"urlscan-relay", "serve"}, map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "200"}, gcSettings{}},
		{[]string{"urlscan-relay", "demo"}, nil, gcSettings{limit16, gcPercent}},
		{[]string{"urlscan-relay", "demo"}, map[string]string{"GOGC": "50"}, gcSettings{limit16, 0}},
		{[]string{"urlscan-relay", "observe", "ip", "1.1.1.1"}, nil, gcSettings{}},
		{[]string{"urlscan-relay", "version"}, nil, gcSettings{}},
		{[]string{"urlscan-relay"}, map[string]string{"PORT": "bad"}, gcSettings{}},
	}
	for _, tt := range tests {
		if got := collector(tt.args, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("collector(%q, %v) = %+v; want %+v", tt.args, tt.env, got, tt.want)
		}
	}
	before := debug.SetMemoryLimit(-1)
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	_, _, stop := startRelay(t, newFixture(t, "mem-key").env(nil))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("run changed the process's memory limit from %d to %d", before, after)
	}
	if after := debug.SetGCPercent(percent); after != percent {
		t.Errorf("run changed the process's GOGC from %d to %d", percent, after)
	}
}

func TestRunCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"urlscan-relay", "version"}, os.Getenv, &out, io.Discard); err != nil || strings.TrimSpace(out.String()) != version {
		t.Errorf("version = %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"urlscan-relay", "frobnicate"}, os.Getenv, io.Discard, io.Discard); err == nil {
		t.Error("unknown command succeeded")
	}
	if err := run(context.Background(), []string{"urlscan-relay", "observe", "ip"}, os.Getenv, io.Discard, io.Discard); err == nil {
		t.Error("observe with one argument succeeded")
	}
}

func TestObserveCommand(t *testing.T) {
	const apiKey = "cli-key"
	upstream := urlscantest.NewServer(urlscantest.Options{APIKey: apiKey})
	defer upstream.Close()
	env := map[string]string{"URLSCAN_API_URL": upstream.URL, "URLSCAN_API_KEY": apiKey}
	var out bytes.Buffer
	err := run(context.Background(), []string{"urlscan-relay", "observe", "IP", "1.1.1.1"}, func(k string) string { return env[k] }, &out, io.Discard)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	if !strings.Contains(out.String(), `"sightings"`) || !strings.Contains(out.String(), "\n  ") {
		t.Errorf("observe printed %s, want indented CTIM data", out.String())
	}
	err = run(context.Background(), []string{"urlscan-relay", "observe", "email", "a@example.com"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if want := "unsupported observable type email (ip, ipv6, domain, url, hostname, sha256)"; err == nil || err.Error() != want {
		t.Errorf("observe of an email = %v, want %q", err, want)
	}
	env["URLSCAN_API_KEY"] = "wrong-key"
	err = run(context.Background(), []string{"urlscan-relay", "observe", "ip", "1.1.1.1"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "The request is missing a valid API key.") {
		t.Errorf("observe with a refused key = %v, want the TR message", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
