package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// runMainEnv makes the test binary act as the relay itself, so that tests
// can start it as a real process (signals, exit status) without a go
// toolchain at test time.
const runMainEnv = "URLSCAN_RELAY_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m,
		// Once a pool has failed PoolSize dials in a row (the tests kill
		// Redis), go-redis probes it from this goroutine, sleeping a second
		// between probes, and returns at the first probe after Close.
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"),
	)
}

// audience is the RELAY_AUDIENCE of every test relay.
const audience = "https://relay.example"

// fixture is what a relay under test talks to: a fake urlscan.io that
// accepts one API key, and a SecureX token issuer whose JWKS the relay
// trusts.
type fixture struct {
	upstream *urlscantest.Server
	issuer   *authtest.Issuer
	apiKey   string
	token    string // a good token carrying apiKey
	certFile string
	client   *http.Client
}

func newFixture(t *testing.T, apiKey string) *fixture {
	t.Helper()
	upstream := urlscantest.NewServer(urlscantest.Options{APIKey: apiKey})
	t.Cleanup(upstream.Close)
	issuer, err := authtest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(issuer.Close)
	certFile := filepath.Join(t.TempDir(), "jwks-ca.pem")
	if err := os.WriteFile(certFile, issuer.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return &fixture{
		upstream: upstream,
		issuer:   issuer,
		apiKey:   apiKey,
		token:    issuer.Token(map[string]any{"key": apiKey, "aud": audience}),
		certFile: certFile,
		client:   client,
	}
}

// env is the relay's configuration against the fixture, with extra on top.
// The drain delay is off unless a test asks for it: stopping would
// otherwise take its default five seconds.
func (f *fixture) env(extra map[string]string) map[string]string {
	env := map[string]string{
		"PORT":            "0",
		"URLSCAN_API_URL": f.upstream.URL,
		"JWKS_HOSTS":      f.issuer.Host(),
		"RELAY_AUDIENCE":  audience,
		"SSL_CERT_FILE":   f.certFile,
		"SHUTDOWN_DELAY":  "0",
		// PORT's port (a free one): /metrics on the main listener.
		"METRICS_ADDR": ":0",
	}
	maps.Copy(env, extra)
	return env
}

// answer is one HTTP exchange with a relay.
type answer struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

// json decodes the body as a TR envelope (or any object).
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, a.body)
	}
	return v
}

// errorCodes lists the codes of a TR envelope's errors.
func (a answer) errorCodes(t *testing.T) []string {
	t.Helper()
	errs, _ := a.json(t)["errors"].([]any)
	var codes []string
	for _, e := range errs {
		m, _ := e.(map[string]any)
		code, _ := m["code"].(string)
		codes = append(codes, code)
	}
	return codes
}

// send makes one request; token and the headers are optional.
func (f *fixture) send(t *testing.T, method, url, token, body string, header map[string]string) answer {
	t.Helper()
	a, err := f.try(method, url, token, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// try is send for callers that expect a failure or run off the test's
// goroutine.
func (f *fixture) try(method, url, token, body string, header map[string]string) (answer, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	res, err := f.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, header: res.Header, body: b, took: time.Since(start)}, nil
}

// observables is a request body of ip observables.
func observables(ips ...string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, ip := range ips {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"ip","value":"` + ip + `"}`)
	}
	b.WriteByte(']')
	return b.String()
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
