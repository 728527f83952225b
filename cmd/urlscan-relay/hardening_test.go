package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHostileClients runs the relay as main does and attacks its HTTP edge:
// clients that dawdle over headers or body, oversized headers and bodies,
// too many observables, and bodies built to hurt the decoder. Each is
// answered or cut off fast, nothing reaches urlscan.io, and the relay keeps
// serving. The subtests run in parallel: the header timeout alone takes its
// five seconds.
func TestHostileClients(t *testing.T) {
	const requestTimeout = time.Second
	f := newFixture(t, "hostile-key-5e8c1d")
	base, logs, stop := startRelay(t, f.env(map[string]string{
		"REQUEST_TIMEOUT": requestTimeout.String(),
		"URLSCAN_TIMEOUT": "500ms",
	}))
	addr := strings.TrimPrefix(base, "http://")
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("run returned %v after shutdown", err)
		}
		if reqs := f.upstream.Requests(); len(reqs) != 0 {
			t.Errorf("hostile requests made %d urlscan.io calls, want none", len(reqs))
		}
		if out := logs.String(); strings.Contains(out, f.apiKey) || strings.Contains(out, f.token) {
			t.Error("the log holds the API key or the token")
		}
	})
	observeURL := base + "/observe/observables"

	t.Run("headers never finished", func(t *testing.T) {
		t.Parallel()
		conn := dialRelay(t, addr)
		start := time.Now()
		if _, err := io.WriteString(conn, "POST /observe/observables HTTP/1.1\r\nHost: relay.example\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		// A byte now and then, as slowloris does: an absolute deadline is
		// not pushed back by activity.
		stopTrickle := trickle(conn, 200*time.Millisecond, 1<<20)
		defer stopTrickle()
		got, err := readUntilClosed(conn, readHeaderTimeout+5*time.Second)
		took := time.Since(start)
		if isTimeout(err) {
			t.Fatalf("connection still open after %v, want it cut off after ReadHeaderTimeout (%v)", took, readHeaderTimeout)
		}
		if took > readHeaderTimeout+2*time.Second {
			t.Errorf("cut off after %v, want about ReadHeaderTimeout (%v)", took, readHeaderTimeout)
		}
		if len(got) != 0 {
			t.Errorf("unfinished headers were answered %q, want the connection closed", got)
		}
		// The relay serves on.
		if a := f.send(t, http.MethodGet, base+"/healthz", "", "", nil); a.status != http.StatusOK {
			t.Errorf("/healthz after a slow client = %d", a.status)
		}
	})

	t.Run("headers over the limit", func(t *testing.T) {
		t.Parallel()
		big := map[string]string{"X-Padding": strings.Repeat("a", maxHeaderBytes+16<<10)}
		if a := f.send(t, http.MethodPost, observeURL, f.token, observables("1.1.1.1"), big); a.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%d KiB of headers: status %d, want 431", (maxHeaderBytes+16<<10)>>10, a.status)
		}
		// A SecureX token is at most 16 KiB: headers that size still pass.
		fits := map[string]string{"X-Padding": strings.Repeat("a", 16<<10)}
		a := f.send(t, http.MethodPost, observeURL, "", `[{"type":"ip","value":"1.1.1.1"}] x`, fits)
		if a.status != http.StatusOK || !hasCode(t, a, "invalid argument") {
			t.Errorf("16 KiB of headers: %d %s, want the request read", a.status, a.body)
		}
	})

	t.Run("body slower than the read timeout", func(t *testing.T) {
		t.Parallel()
		conn := dialRelay(t, addr)
		const size = 100 // at one byte per 100ms, ten times the timeout
		start := time.Now()
		head := fmt.Sprintf("POST /observe/observables HTTP/1.1\r\nHost: relay.example\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		stopTrickle := trickle(conn, 100*time.Millisecond, size)
		defer stopTrickle()
		_ = conn.SetReadDeadline(time.Now().Add(8 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("no answer after %v (%v), want the body cut off after REQUEST_TIMEOUT (%v) and answered", took, err, requestTimeout)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		a := answer{status: res.StatusCode, body: body}
		if a.status != http.StatusOK || !hasCode(t, a, "invalid argument") {
			t.Errorf("slow body answered %d %s, want a TR invalid argument", a.status, body)
		}
		if took > requestTimeout+1500*time.Millisecond {
			t.Errorf("slow body cut off after %v, want about REQUEST_TIMEOUT (%v)", took, requestTimeout)
		}
	})

	t.Run("body over MAX_BODY_BYTES", func(t *testing.T) {
		t.Parallel()
		const limit = 1 << 20 // the default
		body := "[" + strings.Repeat(" ", limit) + "]"
		tests := []struct {
			name string
			body io.Reader
		}{
			{"announced length", strings.NewReader(body)},
			{"chunked", io.MultiReader(strings.NewReader(body))}, // hides the length
		}
		for _, tt := range tests {
			req, _ := http.NewRequest(http.MethodPost, observeURL, tt.body)
			req.Header.Set("Content-Type", "application/json")
			res, err := f.client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			a := answer{status: res.StatusCode, body: b}
			if a.status != http.StatusOK || !hasCode(t, a, "invalid argument") || !strings.Contains(string(b), fmt.Sprintf("MAX_BODY_BYTES=%d", limit)) {
				t.Errorf("%s: %d %s, want invalid argument naming MAX_BODY_BYTES=%d", tt.name, a.status, b, limit)
			}
		}
	})

	t.Run("more than MAX_OBSERVABLES", func(t *testing.T) {
		t.Parallel()
		ips := make([]string, 501) // the default limit is 500
		for i := range ips {
			ips[i] = fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
		}
		a := f.send(t, http.MethodPost, observeURL, f.token, observables(ips...), nil)
		if !hasCode(t, a, "invalid argument") || !strings.Contains(string(a.body), "MAX_OBSERVABLES=500") {
			t.Errorf("501 observables: %s, want invalid argument naming MAX_OBSERVABLES=500", a.body)
		}
	})

	t.Run("bodies built to hurt the decoder", func(t *testing.T) {
		t.Parallel()
		nested := func(depth int) string {
			return `[{"type":"ip","value":"1.1.1.1","x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}]`
		}
		tests := []struct{ name, body string }{
			{"nested 17 deep", nested(17)},
			{"nested 1000 deep", nested(1000)},
			{"nested 200000 deep", nested(200000)},
			{"invalid UTF-8 in a value", "[{\"type\":\"ip\",\"value\":\"1.1.1.1\xff\"}]"},
			{"invalid UTF-8 in a key", "[{\"type\":\"ip\",\"value\":\"1.1.1.1\",\"\xc3\x28\":1}]"},
			{"duplicate keys", `[{"type":"ip","value":"1.1.1.1","value":"2.2.2.2"}]`},
			{"value a number", `[{"type":"ip","value":1}]`},
			{"value an object", `[{"type":"ip","value":{"$ne":""}}]`},
			{"list of strings", `["1.1.1.1"]`},
			{"an object", `{"type":"ip","value":"1.1.1.1"}`},
			{"null", `null`},
			{"trailing data", `[{"type":"ip","value":"1.1.1.1"}] [{"type":"ip","value":"2.2.2.2"}]`},
			{"cut short", `[{"type":"ip","value":"1.1.1.1"`},
		}
		for _, tt := range tests {
			// The best of three, so that a scheduler hiccup on a busy
			// machine is not read as a slow decoder.
			best := time.Duration(0)
			for i := range 3 {
				a := f.send(t, http.MethodPost, observeURL, f.token, tt.body, nil)
				if a.status != http.StatusOK || !hasCode(t, a, "invalid argument") {
					t.Errorf("%s: %d %.300s, want invalid argument", tt.name, a.status, a.body)
					break
				}
				if i == 0 || a.took < best {
					best = a.took
				}
			}
			// A few milliseconds when quiet; a decoder that is quadratic in
			// depth or length takes seconds on these bodies.
			if best > 500*time.Millisecond {
				t.Errorf("%s: answered in %v, want under 500ms", tt.name, best)
			}
		}
	})
}

// dialRelay opens a raw connection to the relay, closed when t ends.
func dialRelay(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// trickle writes n bytes to conn, one every interval, until it is stopped
// or a write fails; the returned function stops it and waits for it.
func trickle(conn net.Conn, interval time.Duration, n int) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for range n {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// readUntilClosed reads conn until the peer closes it or d passes, and
// returns what was read and the error that ended reading.
func readUntilClosed(conn net.Conn, d time.Duration) ([]byte, error) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// hasCode reports whether a TR answer's errors include code.
func hasCode(t *testing.T, a answer, code string) bool {
	t.Helper()
	for _, c := range a.errorCodes(t) {
		if c == code {
			return true
		}
	}
	return false
}
