package urlscan

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// sleepRecorder is a Sleep hook that records the waits and does not wait.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func TestRetries(t *testing.T) {
	rateLimited := func(after string, times int) urlscantest.Fault {
		return urlscantest.Fault{Status: 429, Header: http.Header{"X-Rate-Limit-Reset-After": {after}}, Times: times}
	}
	tests := []struct {
		name     string
		endpoint string
		fault    urlscantest.Fault
		deadline time.Duration // of the caller's context; 0: none
		timeout  time.Duration // of one call; 0: the default
		calls    int64
		waits    []time.Duration
		code     tr.Code // "" for success
	}{
		{name: "429 wait fits", endpoint: "search", fault: rateLimited("0.25", 1), calls: 2, waits: []time.Duration{250 * time.Millisecond}},
		{name: "429 Retry-After seconds", endpoint: "result", fault: urlscantest.Fault{Status: 429, Header: http.Header{"Retry-After": {"2"}}, Times: 1}, calls: 2, waits: []time.Duration{2 * time.Second}},
		{name: "429 scan wait fits", endpoint: "scan", fault: rateLimited("1", 1), calls: 2, waits: []time.Duration{time.Second}},
		{name: "429 wait beyond deadline", endpoint: "search", fault: rateLimited("2", 1), deadline: time.Second, calls: 1, code: tr.TooManyRequests},
		{name: "429 wait beyond cap", endpoint: "search", fault: rateLimited("30", 1), calls: 1, code: tr.TooManyRequests},
		{name: "429 twice", endpoint: "search", fault: rateLimited("0.1", 2), calls: 2, waits: []time.Duration{100 * time.Millisecond}, code: tr.TooManyRequests},
		{name: "503 once", endpoint: "search", fault: urlscantest.Fault{Status: 503, Times: 1}, calls: 2, waits: []time.Duration{time.Millisecond}},
		{name: "502 once on result", endpoint: "result", fault: urlscantest.Fault{Status: 502, Times: 1}, calls: 2, waits: []time.Duration{time.Millisecond}},
		{name: "504 always", endpoint: "result", fault: urlscantest.Fault{Status: 504}, calls: 2, waits: []time.Duration{time.Millisecond}, code: tr.ServiceUnavailable},
		{name: "reset once", endpoint: "result", fault: urlscantest.Fault{Reset: true, Times: 1}, calls: 2, waits: []time.Duration{time.Millisecond}},
		{name: "drop once", endpoint: "search", fault: urlscantest.Fault{Drop: true, Times: 1}, calls: 2, waits: []time.Duration{time.Millisecond}},
		{name: "call timeout once", endpoint: "search", fault: urlscantest.Fault{Delay: time.Second, Times: 1}, timeout: 100 * time.Millisecond, calls: 2, waits: []time.Duration{time.Millisecond}},
		{name: "500 not retried", endpoint: "search", fault: urlscantest.Fault{Status: 500, Times: 1}, calls: 1, code: tr.InternalError},
		{name: "400 not retried", endpoint: "search", fault: urlscantest.Fault{Status: 400, Times: 1}, calls: 1, code: tr.BadRequest},
		{name: "404 not retried", endpoint: "result", fault: urlscantest.Fault{Status: 404, Times: 1}, calls: 1, code: tr.NotFound},
		{name: "bad JSON not retried", endpoint: "result", fault: urlscantest.Fault{Body: "{", Times: 1}, calls: 1, code: tr.Unknown},
		{name: "scan 503 not retried", endpoint: "scan", fault: urlscantest.Fault{Status: 503, Times: 1}, calls: 1, code: tr.ServiceUnavailable},
		{name: "scan reset not retried", endpoint: "scan", fault: urlscantest.Fault{Reset: true, Times: 1}, calls: 1, code: tr.ServiceUnavailable},
		{name: "scan timeout not retried", endpoint: "scan", fault: urlscantest.Fault{Delay: time.Second, Times: 1}, timeout: 100 * time.Millisecond, calls: 1, code: tr.ServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, urlscantest.Options{})
			f := tc.fault
			f.Endpoint = tc.endpoint
			srv.Inject(f)
			sleeps := &sleepRecorder{}
			c := newClient(t, srv.URL, func(o *Options) {
				o.Sleep = sleeps.Sleep
				if tc.timeout > 0 {
					o.Timeout = tc.timeout
				}
			})
			ctx := t.Context()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			err := callEndpoint(ctx, c, tc.endpoint, testKey)
			if got := tr.From(err); (got == nil && tc.code != "") || (got != nil && got.Code != tc.code) {
				t.Errorf("got error %v, want code %q", err, tc.code)
			}
			if got := srv.Calls(tc.endpoint); got != tc.calls {
				t.Errorf("got %d calls, want %d", got, tc.calls)
			}
			if got := sleeps.Waits(); !equalDurations(got, tc.waits) {
				t.Errorf("got waits %v, want %v", got, tc.waits)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTooManyRequestsCarriesWait(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "search", Status: 429, Header: http.Header{"Retry-After": {"45"}}})
	c := newClient(t, srv.URL, nil)
	err := callEndpoint(t.Context(), c, "search", testKey)
	var ue *Error
	if !errors.As(err, &ue) || ue.RetryAfter != 45*time.Second {
		t.Fatalf("got %v, want an *Error with RetryAfter 45s", err)
	}
	if got := tr.From(err).Message; got != tr.MsgTooMany {
		t.Errorf("got %q, want %q", got, tr.MsgTooMany)
	}
}

// refusingTransport refuses its first connection as a dial failure would,
// then passes requests on.
type refusingTransport struct {
	next    http.RoundTripper
	refused atomic.Bool
}

func (rt *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.refused.CompareAndSwap(false, true) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	}
	return rt.next.RoundTrip(req)
}

func TestScanRetriedWhenNeverSent(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	rt := &refusingTransport{next: defaultTransport(nil)}
	defer rt.next.(*http.Transport).CloseIdleConnections()
	c := newClient(t, srv.URL, func(o *Options) { o.Transport = rt })
	res, err := c.Scan(t.Context(), testKey, ScanRequest{URL: "https://example.com/", Visibility: "unlisted"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Visibility != "unlisted" || res.URL != "https://example.com/" {
		t.Errorf("got %+v, want the submission echoed", res)
	}
	if got := srv.Calls("scan"); got != 1 {
		t.Errorf("got %d scans submitted, want 1", got)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	sleeps := &sleepRecorder{}
	c := newClient(t, "http://"+addr+"/api/v1", func(o *Options) { o.Sleep = sleeps.Sleep })
	for _, endpoint := range []string{"search", "scan"} {
		err := callEndpoint(t.Context(), c, endpoint, testKey)
		if got := tr.From(err); got.Code != tr.ServiceUnavailable {
			t.Errorf("%s: got %v, want service unavailable", endpoint, err)
		}
	}
	if got := len(sleeps.Waits()); got != 2 {
		t.Errorf("got %d retries, want one per call: a refused connection never reached urlscan", got)
	}
}
