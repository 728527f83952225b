package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// redisServer is a redis-server of the test's own on a loopback port,
// without persistence, so that the test may kill it.
type redisServer struct {
	cmd    *exec.Cmd
	port   int
	exited chan struct{}
}

// url is the REDIS_URL of the server.
func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// startRedis starts redis-server; the test is skipped when there is none
// (CI installs Debian's redis-server).
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH; install it (apt-get install redis-server) to run this test")
	}
	var last error
	for range 3 { // a free port may be taken before redis-server binds it
		r, err := tryRedis(t, bin)
		if err == nil {
			return r
		}
		last = err
	}
	t.Fatalf("start redis-server: %v", last)
	return nil
}

func tryRedis(t *testing.T, bin string) (*redisServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "redis.log")
	r := &redisServer{port: port, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logFile)
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(r.kill)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			b, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("redis-server on port %d exited: %s", port, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 100*time.Millisecond); err == nil {
			c.Close()
			return r, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.kill()
	return nil, fmt.Errorf("redis-server on port %d did not come up", port)
}

// kill stops the server at once, as a crash would.
func (r *redisServer) kill() {
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// TestRedisSharesCacheAcrossInstances runs two relays, each with its own
// memory, on one Redis: the second answers a lookup the first made without
// calling urlscan.io. Then Redis dies: both keep answering, cached and
// fresh observables alike, without errors and without stalling.
func TestRedisSharesCacheAcrossInstances(t *testing.T) {
	f := newFixture(t, "redis-key-Lw2v9Xc1")
	rs := startRedis(t)
	env := f.env(map[string]string{"REDIS_URL": rs.url()})
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

	rs.kill()
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
		// Redis is asked with a 100 ms budget and then skipped for a
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
	for i, logs := range []*syncBuffer{logs1, logs2} {
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
	rs := startRedis(t)
	env := f.env(map[string]string{"REDIS_URL": rs.url()})
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
