package server

import (
	"encoding/json"
	"testing"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestRequestTimeoutBoundsTheWholeRequest: REQUEST_TIMEOUT is how long
// SecureX is made to wait, so it bounds the whole request, the JWKS fetch
// included, and not only the urlscan.io calls that follow it. (The server's
// WriteTimeout is REQUEST_TIMEOUT plus 5 s: a JWKS fetch of up to 5 s before
// a full REQUEST_TIMEOUT of urlscan.io calls would lose the answer.)
func TestRequestTimeoutBoundsTheWholeRequest(t *testing.T) {
	const timeout = time.Second
	tests := []struct {
		name          string
		jwksDelay     time.Duration
		searchDelay   time.Duration
		code, message string
	}{
		{"slow JWKS, then slow urlscan.io", 600 * time.Millisecond, 5 * time.Second,
			"service unavailable", "The urlscan.io is unavailable. Please, try again later."},
		{"JWKS slower than the deadline", 1500 * time.Millisecond, 0,
			"authorization error", "Authorization failed: Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := authtest.Start(t) // its own: the delay would slow other tests' fetches
			s := newWatchedStack(t, iss, func(c *config.Config) { c.RequestTimeout, c.URLScanTimeout = timeout, timeout })
			iss.SetDelay(tt.jwksDelay)
			if tt.searchDelay > 0 {
				s.upstream.Inject(urlscantest.Fault{Endpoint: "search", Delay: tt.searchDelay})
			}
			tok := s.token(nil)
			raw, took := s.post(t, "/observe/observables", "Bearer "+tok, `[{"type":"ip","value":"1.1.1.1"}]`)
			if limit := timeout + 300*time.Millisecond; took > limit {
				t.Errorf("answered after %v, want within REQUEST_TIMEOUT (%v)", took, timeout)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			if code, msg := firstError(t, got); code != tt.code || msg != tt.message {
				t.Errorf("got %s\nwant code %q message %q", raw, tt.code, tt.message)
			}
			s.assertNoSecrets(t, testKey, tok, raw)
		})
	}
}
