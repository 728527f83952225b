package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// faultKind is one way an upstream call fails in the soak.
type faultKind struct {
	name  string
	fault urlscantest.Fault
}

// soakFaults are the failures the soak cycles through (PROTOCOL.md §2,
// §6). timeout is the relay's URLSCAN_TIMEOUT: the slow answer outlasts it. There are
// three 429s: a spent quota (the relay holds the key back until the reset),
// a Retry-After (the relay waits and retries once) and a bare one. The
// spent quota resets after 0.05 s, as in the fake's own failure cycle:
// longer, and a key spent several times a second would leave the relay
// answering "too many requests" without calling upstream most of the time,
// so the other faults would hardly be met.
func soakFaults(timeout time.Duration) []faultKind {
	return []faultKind{
		{"429 quota spent (X-Rate-Limit-Remaining 0)", urlscantest.Fault{Status: http.StatusTooManyRequests,
			Header: http.Header{"X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset-After": {"0.05"}}}},
		{"429 with Retry-After", urlscantest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0.1"}}}},
		{"429 without headers", urlscantest.Fault{Status: http.StatusTooManyRequests}},
		{"500", urlscantest.Fault{Status: http.StatusInternalServerError}},
		{"502", urlscantest.Fault{Status: http.StatusBadGateway}},
		{"503", urlscantest.Fault{Status: http.StatusServiceUnavailable}},
		{"504", urlscantest.Fault{Status: http.StatusGatewayTimeout}},
		{"reset mid-body", urlscantest.Fault{Reset: true}},
		{"timeout", urlscantest.Fault{Delay: 2*timeout + 500*time.Millisecond}},
		{"truncated JSON", urlscantest.Fault{Status: http.StatusOK, Body: `{"results":[{"task":{"visibility":"public","uuid":"`}},
		{"non-JSON", urlscantest.Fault{Status: http.StatusOK, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}},
	}
}

// faultProxy stands between the relay and the fake urlscan.io and makes
// one call in every fails, cycling through kinds. The fake's own FailEvery
// cycles through fewer kinds, and its faults match on a query or scan id
// the benchmark does not choose; so the proxy tags the calls it picks with
// a marker the fake's injected faults match, and the fake fails them. Both
// ends of a failure are then the fake's, as in the relay's own tests.
type faultProxy struct {
	srv     *httptest.Server
	target  string // the fake's origin, http://127.0.0.1:PORT
	apiPath string // the fake's API root path, /api/v1
	client  *http.Client
	every   int64
	kinds   []faultKind
	enabled atomic.Bool
	calls   atomic.Int64
	faulted []atomic.Int64 // per kind
}

func newFaultProxy(fake *urlscantest.Server, every int, kinds []faultKind) (*faultProxy, error) {
	u, err := url.Parse(fake.URL)
	if err != nil {
		return nil, fmt.Errorf("fake URL: %w", err)
	}
	for i, k := range kinds {
		f := k.fault
		f.Match = faultMarker(i)
		fake.Inject(f)
	}
	p := &faultProxy{
		target:  u.Scheme + "://" + u.Host,
		apiPath: u.Path,
		client: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true},
			// The relay decides about redirects, not the proxy.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		every:   int64(every),
		kinds:   kinds,
		faulted: make([]atomic.Int64, len(kinds)),
	}
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.srv.Start()
	return p, nil
}

// url is the API root to give the relay as URLSCAN_API_URL.
func (p *faultProxy) url() string { return p.srv.URL + p.apiPath }

func (p *faultProxy) close() {
	p.srv.Close()
	p.client.CloseIdleConnections()
}

// dropConnections ends every connection the relay holds to the proxy, so
// the relay's goroutines reading them can end too.
func (p *faultProxy) dropConnections() {
	p.srv.CloseClientConnections()
	p.client.CloseIdleConnections()
}

// faultMarker is what a tagged call carries; no real query or scan id
// contains it.
func faultMarker(kind int) string { return fmt.Sprintf("zzbenchfault%02d", kind) }

// ServeHTTP forwards one call to the fake, tagging it when its turn to fail
// has come.
func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := *r.URL
	if p.enabled.Load() {
		if n := p.calls.Add(1); n%p.every == 0 {
			kind := int(n/p.every) % len(p.kinds)
			if tag(&target, faultMarker(kind)) {
				p.faulted[kind].Add(1)
			}
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+target.RequestURI(), r.Body)
	if err != nil {
		resetConnection(w)
		return
	}
	for _, h := range []string{"API-Key", "User-Agent", "Accept", "Content-Type"} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The fake dropped the call, or the relay gave up: pass it on.
		resetConnection(w)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil && !errors.Is(err, context.Canceled) {
		// The fake reset mid-body: the relay must see the same.
		resetConnection(w)
	}
}

// tag marks a search (in its query) or a result call (in its scan id) so
// that the fake's fault for marker applies; it reports whether it could.
func tag(u *url.URL, marker string) bool {
	switch {
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/search"):
		q := u.Query()
		q.Set("q", q.Get("q")+" "+marker)
		u.RawQuery = q.Encode()
		return true
	case strings.Contains(u.Path, "/result/"):
		trimmed := strings.TrimSuffix(u.Path, "/")
		u.Path = trimmed + "-" + marker + strings.TrimPrefix(u.Path, trimmed)
		u.RawPath = ""
		return true
	}
	return false
}

// resetConnection ends the client's connection with a TCP reset, whatever
// was written so far.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
