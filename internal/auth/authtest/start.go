package authtest

import (
	"fmt"
	"net/http"
	"sync"
)

// TB is the part of testing.TB that Start needs; the package does not
// import "testing" itself (see the package documentation).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// Start is NewIssuer for a test: it fails t when the issuer cannot start,
// and closes it when t ends.
func Start(t TB) *Issuer {
	t.Helper()
	iss, err := NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	return iss
}

// Transport records the host of every request a client under test sends,
// before sending it with Base: the issuer's own count misses requests that
// never reach its handler (refused connections, TLS names that do not
// match). With Only set it sends to that host alone and refuses the rest,
// so that even a broken verifier never leaves loopback.
type Transport struct {
	Base http.RoundTripper
	Only string

	mu    sync.Mutex
	hosts []string
}

// RoundTrip records r's host and sends r.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.hosts = append(t.hosts, r.URL.Host)
	t.mu.Unlock()
	if t.Only != "" && r.URL.Host != t.Only {
		return nil, fmt.Errorf("authtest: %q is not the issuer", r.URL.Host)
	}
	return t.Base.RoundTrip(r)
}

// Requested returns the hosts of the requests sent so far, in order.
func (t *Transport) Requested() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.hosts...)
}

// Count is how many requests were sent so far.
func (t *Transport) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.hosts)
}
