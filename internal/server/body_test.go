package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that sends its whole oversized body before reading, as Python's
// urllib does, gets the TR error rather than a reset, with a length or
// chunked; the connection closes after the answer.
func TestOversizedBodySentWholeGetsTheTRError(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{}, nil)
	addr, _ := serveEdge(t, h, 16, time.Minute)
	const size = 12 << 20
	body := "[" + strings.Repeat(`{"type":"ip","value":"1.1.1.1"},`, size/32) + "]"
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	for _, tt := range []struct{ name, framing, body string }{
		{"content-length", fmt.Sprintf("Content-Length: %d\r\n", len(body)), body},
		{"chunked", "Transfer-Encoding: chunked\r\n", chunked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			req := "POST /respond/observables HTTP/1.1\r\nHost: relay.example\r\nContent-Type: application/json\r\n" + tt.framing + "\r\n" + tt.body
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatalf("sending the whole body: %v, want it read", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			defer resp.Body.Close()
			var env struct {
				Errors []struct{ Code, Message string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatal(err)
			}
			if len(env.Errors) != 1 || env.Errors[0].Code != "invalid argument" || !strings.Contains(env.Errors[0].Message, "MAX_BODY_BYTES") {
				t.Errorf("answer %+v, want the invalid argument naming MAX_BODY_BYTES", env)
			}
			if !resp.Close {
				t.Error("connection kept open after an oversized body")
			}
		})
	}
}
