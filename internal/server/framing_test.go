package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeHead looks like a request head with both framing fields; the
// pipelined stream hides it in bodies, where it must not count.
const fakeHead = "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"

// pipelined is a stream of requests on one connection.
var pipelined = strings.Join([]string{
	"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST /version HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(len(fakeHead)) + "\r\n\r\n" + fakeHead,
	"POST /version HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\nX-Long: " + strings.Repeat("x", 3000) + "\r\n\r\n" +
		strconv.FormatInt(int64(len(fakeHead)), 16) + ";ext=1\r\n" + fakeHead + "\r\n" +
		"0\r\nX-Trailer: 1\r\n\r\n",
	"POST /version HTTP/1.1\nHost: a\nContent-Length: 0\n\n",
	"POST /version HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST /version HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
	"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
}, "")

var pipelinedWant = []bool{false, false, false, false, true, true, false}

func claimAll(f *framing) (got []bool, known bool) {
	for {
		a, ok := f.next()
		if !ok {
			return got, f.state != lost
		}
		got = append(got, a)
	}
}

// Framing finds every head of a pipelined stream however the bytes are
// split, and does not mistake a body for a head.
func TestFramingFollowsPipelinedRequests(t *testing.T) {
	for _, step := range []int{1, 2, 7, 100, len(pipelined)} {
		f := newFraming()
		for b := []byte(pipelined); len(b) > 0; {
			n := min(step, len(b))
			f.feed(b[:n])
			b = b[n:]
		}
		got, known := claimAll(f)
		if !known || !slices.Equal(got, pipelinedWant) {
			t.Errorf("in steps of %d: heads %v (known %v), want %v", step, got, known, pipelinedWant)
		}
	}
}

func TestFramingLosesTrackOfWhatTheServerRefuses(t *testing.T) {
	for _, stream := range []string{
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxyz",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"\r\n",
		"GET /" + strings.Repeat("a", maxFramingLine) + " HTTP/1.1\r\n",
	} {
		f := newFraming()
		f.feed([]byte(stream))
		if _, known := claimAll(f); known {
			t.Errorf("%.40q: framing still known, want lost", stream)
		}
	}
}

// FuzzFraming feeds arbitrary streams in two splits: framing never panics
// and reads the same heads whatever the split.
func FuzzFraming(f *testing.F) {
	f.Add([]byte(pipelined), uint16(3))
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint16(40))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		whole, parts := newFraming(), newFraming()
		whole.feed(stream)
		at := int(cut) % (len(stream) + 1)
		parts.feed(stream[:at])
		parts.feed(stream[at:])
		w, wk := claimAll(whole)
		p, pk := claimAll(parts)
		if wk != pk || !slices.Equal(w, p) {
			t.Errorf("split at %d: heads %v (known %v), whole %v (known %v)", at, p, pk, w, wk)
		}
	})
}

// serveEdge serves h as the relay does, behind Conns, on a loopback port.
func serveEdge(t *testing.T, h http.Handler, maxConns int, idle time.Duration) (addr string, conns *Conns) {
	t.Helper()
	conns, err := NewConns(maxConns, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: idle}
	conns.Configure(srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(conns.Listen(ln))
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String(), conns
}

// RFC 9112 §6.1: a request with both Content-Length and Transfer-Encoding
// is refused and its connection closed; the same request with either
// field alone is served on a connection that stays open.
func TestBothFramingFieldsAreRefusedAndTheConnectionClosed(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{}, nil)
	addr, _ := serveEdge(t, h, 16, time.Minute)
	const version = "POST /version HTTP/1.1\r\nHost: relay.example\r\n"
	tests := []struct {
		name, request string
		status        int
		closed        bool
	}{
		{"content-length", version + "Content-Length: 2\r\n\r\n{}", 200, false},
		{"chunked", version + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 200, false},
		{"both", version + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400, true},
		{"both, smuggling a request", version + "Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /version HTTP/1.1\r\nHost: relay.example\r\n\r\n", 400, true},
		{"both, HTTP/1.0", "POST /version HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}", 400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, tt.request); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			// A closed connection ends at EOF with no second answer; an
			// open one answers the next request.
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: relay.example\r\n\r\n")
			next, err := http.ReadResponse(br, nil)
			if closed := err != nil; closed != tt.closed {
				t.Errorf("connection closed after the answer: %v (%v), want %v", closed, err, tt.closed)
			}
			if err == nil {
				next.Body.Close()
			}
		})
	}
}
