package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricValue reads a counter or a gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// request sends one keep-alive request on conn and reads its answer.
func request(t *testing.T, conn net.Conn, br *bufio.Reader, path string) int {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: relay.example\r\n\r\n"); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, bufio.NewReader(conn)
}

// closedByServer reports whether the server has closed conn.
func closedByServer(conn net.Conn, br *bufio.Reader) bool {
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := br.ReadByte()
	return err == io.EOF
}

// A client holding every connection the relay allows, idle or never used,
// does not shut others out: a new connection closes the one that waited
// longest, and is served at once.
func TestConnectionCapMakesRoomFromIdleConnections(t *testing.T) {
	const maxConns = 8
	h, _ := newTestServer(t, &fakeRelay{}, nil)
	addr, conns := serveEdge(t, h, maxConns, time.Hour)

	type held struct {
		conn net.Conn
		br   *bufio.Reader
	}
	var hog []held
	for i := range maxConns {
		conn, br := dial(t, addr)
		if i%2 == 0 { // half idle after a request, half never used
			if got := request(t, conn, br, "/healthz"); got != 200 {
				t.Fatalf("hog %d: status %d", i, got)
			}
			// The server marks it idle just after answering: wait, so
			// that the order of waiting is the order of the hogs.
			waitFor(t, func() bool { return idleConns(conns) == i/2+1 })
		}
		hog = append(hog, held{conn, br})
	}
	waitFor(t, func() bool { return metricValue(t, conns.gauge) == maxConns })

	for i := range 3 {
		conn, br := dial(t, addr)
		start := time.Now()
		if got := request(t, conn, br, "/healthz"); got != 200 {
			t.Fatalf("newcomer %d: status %d", i, got)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("newcomer %d served after %v, want at once", i, took)
		}
	}
	// The three that waited longest made room, in order.
	for i, h := range hog {
		if got, want := closedByServer(h.conn, h.br), i < 3; got != want {
			t.Errorf("hog %d closed: %v, want %v", i, got, want)
		}
	}
	if got := metricValue(t, conns.evicted); got != 3 {
		t.Errorf("evicted = %v, want 3", got)
	}
	if got := metricValue(t, conns.gauge); got > maxConns {
		t.Errorf("open connections = %v, want at most %d", got, maxConns)
	}
}

// Connections serving a request are never closed to make room: a new one
// waits until a request ends.
func TestConnectionCapWaitsForBusyConnections(t *testing.T) {
	const maxConns = 2
	release := make(chan struct{})
	entered := make(chan struct{}, maxConns)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	})
	addr, _ := serveEdge(t, h, maxConns, time.Hour)
	slow := make(chan int, maxConns)
	for range maxConns {
		conn, br := dial(t, addr)
		go func() {
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				slow <- 0
				return
			}
			resp.Body.Close()
			slow <- resp.StatusCode
		}()
		<-entered
	}
	conn, br := dial(t, addr)
	answered := make(chan int, 1)
	go func() {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(conn, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	select {
	case got := <-answered:
		t.Fatalf("served (%d) while every connection was busy, want it to wait", got)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for range maxConns {
		if got := <-slow; got != http.StatusNoContent {
			t.Errorf("a busy request ended with %d, want 204: it was cut off", got)
		}
	}
	if got := <-answered; got != http.StatusNoContent {
		t.Errorf("waiting request = %d, want 204", got)
	}
}

func idleConns(c *Conns) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for tc := range c.open {
		if st, _ := tc.stateSince(); st == http.StateIdle {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}
