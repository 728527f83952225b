package urlscantest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Fault changes the answers to matching requests. The first injected fault
// that matches a request and has uses left applies to it.
//
// What it does, in order: wait Delay; then Drop or Reset the connection
// if asked; else answer Status (0: the normal answer) with Header on top of
// the usual headers and Body, or BodySize bytes, instead of the usual body.
// A 3xx status without a Location header redirects to the request itself
// (a redirect loop).
type Fault struct {
	Endpoint string        // "search", "result", "scan"; "" matches any
	Match    string        // when set, a substring the query (search) or id (result) must contain
	Status   int           // status to answer; 0 keeps the normal answer's
	Header   http.Header   // headers to add or replace, e.g. X-Rate-Limit-Reset-After
	Body     string        // raw body to answer instead (non-JSON, truncated, …)
	BodySize int64         // when > 0, answer a JSON body of this many bytes, streamed without a length (oversized answers)
	Delay    time.Duration // wait before answering (slow answers, client timeouts)
	Reset    bool          // send the headers and half the body, then reset the connection
	Drop     bool          // reset the connection before answering anything
	Times    int           // uses before the fault retires; 0 means forever
}

type fault struct {
	Fault
	used int
}

// Inject adds f to the faults applied to later requests.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f})
}

// pickFault returns the fault for a request to endpoint about match, and
// uses it up; the caller holds s.mu.
func (s *Server) pickFault(endpoint, match string) *Fault {
	for _, f := range s.faults {
		if f.Times > 0 && f.used >= f.Times {
			continue
		}
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		if f.Match != "" && !strings.Contains(match, f.Match) {
			continue
		}
		f.used++
		picked := f.Fault
		return &picked
	}
	if n := int64(s.opts.FailEvery); n > 0 && s.seq%n == 0 {
		kinds := cycleFaults()
		picked := kinds[(s.seq/n)%int64(len(kinds))]
		return &picked
	}
	return nil
}

// cycleFaults are the failures FailEvery cycles through: mostly ones a
// client retries (503, a short 429, 502, a reset, 504), and a 500, which it
// reports.
func cycleFaults() []Fault {
	return []Fault{
		{Status: http.StatusServiceUnavailable},
		{Status: http.StatusTooManyRequests, Header: http.Header{"X-Rate-Limit-Reset-After": {"0.05"}, "X-Rate-Limit-Remaining": {"0"}}},
		{Status: http.StatusBadGateway},
		{Reset: true},
		{Status: http.StatusGatewayTimeout},
		{Status: http.StatusInternalServerError},
	}
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, endpoint, id string, scanBody []byte) {
	if !pause(r, f.Delay) {
		return
	}
	switch {
	case f.Drop:
		resetConn(w, nil)
		return
	case f.Reset:
		status, header, body := f.Status, http.Header{}, []byte(f.Body)
		if f.Body == "" {
			rec := httptest.NewRecorder()
			s.answer(rec, r, endpoint, id, scanBody, f.Header)
			if status == 0 {
				status = rec.Code
			}
			header, body = rec.Header(), rec.Body.Bytes()
		}
		if status == 0 {
			status = http.StatusOK
		}
		header.Set("Content-Length", fmt.Sprint(len(body)))
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
		resetConn(w, func(bw *bufio.Writer) {
			fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
			_ = header.Write(bw)
			bw.WriteString("\r\n")
			bw.Write(body[:len(body)/2])
		})
		return
	}
	if f.Status == 0 && f.Body == "" && f.BodySize == 0 {
		s.answer(w, r, endpoint, id, scanBody, f.Header)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	if status >= 300 && status < 400 && w.Header().Get("Location") == "" {
		w.Header().Set("Location", r.URL.RequestURI())
	}
	switch {
	case f.BodySize > 0:
		streamBody(w, status, f.BodySize)
	case f.Body != "":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
	default:
		writeError(w, status, http.StatusText(status), "", nil)
	}
}

// streamBody answers a JSON object of about n bytes without announcing its
// length, as a stream of chunks.
func streamBody(w http.ResponseWriter, status int, n int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	const opening, closing = `{"results":[],"padding":"`, `"}`
	_, _ = w.Write([]byte(opening))
	chunk := []byte(strings.Repeat("x", 32<<10))
	for left := n - int64(len(opening)+len(closing)); left > 0; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), left)]); err != nil {
			return
		}
	}
	_, _ = w.Write([]byte(closing))
}

// resetConn takes the connection over, writes what write writes (if
// anything) and resets it: the peer sees ECONNRESET, not a clean end.
func resetConn(w http.ResponseWriter, write func(*bufio.Writer)) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("urlscantest: connection cannot be hijacked")
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		return
	}
	if write != nil {
		write(bufrw.Writer)
		_ = bufrw.Flush()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
