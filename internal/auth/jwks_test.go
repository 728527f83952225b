package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/auth/authtest"
)

func verifyOK(t *testing.T, f *fixture, token string) {
	t.Helper()
	if _, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func wantFetches(t *testing.T, iss *authtest.Issuer, want int64) {
	t.Helper()
	if got := iss.Fetches(); got != want {
		t.Errorf("JWKS fetches = %d, want %d", got, want)
	}
}

func TestJWKSCachedForTTL(t *testing.T) {
	f := newFixture(t)
	token := f.iss.Token(goodClaims())
	for range 20 {
		verifyOK(t, f, token)
	}
	wantFetches(t, f.iss, 1)

	f.clock.Advance(DefaultCacheTTL - time.Second)
	verifyOK(t, f, token)
	wantFetches(t, f.iss, 1)

	f.clock.Advance(2 * time.Second)
	verifyOK(t, f, token)
	verifyOK(t, f, token)
	wantFetches(t, f.iss, 2)
}

func TestJWKSCachedPerHost(t *testing.T) {
	iss := authtest.Start(t)
	_, port, _ := strings.Cut(iss.Host(), ":")
	a, b := "a.example.com:"+port, "b.example.com:"+port
	f := newFixtureFor(t, iss, routedClient(iss), a, b)
	for range 3 {
		verifyOK(t, f, iss.Token(with(goodClaims(), "jwks_host", a)))
		verifyOK(t, f, iss.Token(with(goodClaims(), "jwks_host", b)))
	}
	wantFetches(t, iss, 2)
}

func TestUnknownKidRefreshesAtMostOncePerMinute(t *testing.T) {
	f := newFixture(t)
	verifyOK(t, f, f.iss.Token(goodClaims()))
	wantFetches(t, f.iss, 1)

	rotated := f.iss.SignWith(map[string]any{"kid": "new-kid"}, goodClaims(), "RS256")
	// The set is fresh: an unknown kid does not refetch it yet.
	for range 5 {
		_, err := f.v.Verify(context.Background(), bearer(rotated), []string{testAudience})
		wantAuthError(t, err, msgKidNotFound)
	}
	wantFetches(t, f.iss, 1)

	// A minute later one refetch is allowed, and only one.
	f.clock.Advance(time.Minute)
	for range 5 {
		_, err := f.v.Verify(context.Background(), bearer(rotated), []string{testAudience})
		wantAuthError(t, err, msgKidNotFound)
	}
	wantFetches(t, f.iss, 2)

	// The issuer rotates; the next minute's refetch finds the new key
	// and keeps the old one's tokens working from the same set.
	f.iss.SetBody(f.iss.JWKS(authtest.KeyID, "new-kid"))
	f.clock.Advance(30 * time.Second)
	_, err := f.v.Verify(context.Background(), bearer(rotated), []string{testAudience})
	wantAuthError(t, err, msgKidNotFound)
	wantFetches(t, f.iss, 2)
	f.clock.Advance(30 * time.Second)
	verifyOK(t, f, rotated)
	verifyOK(t, f, f.iss.Token(goodClaims()))
	wantFetches(t, f.iss, 3)
}

func TestConcurrentFirstRequestsShareOneFetch(t *testing.T) {
	f := newFixture(t)
	f.iss.SetDelay(200 * time.Millisecond)
	token := f.iss.Token(goodClaims())
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	wantFetches(t, f.iss, 1)
}

// TestCallerGivingUpDoesNotFailOthers: the first caller's context ends
// while its fetch is under way; the fetch still completes for everyone.
func TestCallerGivingUpDoesNotFailOthers(t *testing.T) {
	f := newFixture(t)
	f.iss.SetDelay(time.Second)
	token := f.iss.Token(goodClaims())

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.v.Verify(ctx, bearer(token), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	if waited := time.Since(start); waited > 800*time.Millisecond {
		t.Errorf("Verify returned %v after its context ended", waited)
	}

	verifyOK(t, f, token)
	wantFetches(t, f.iss, 1)
}

func TestJWKSFailures(t *testing.T) {
	big := `{"keys":[],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name   string
		status int
		body   string
		msg    string
	}{
		{name: "500", status: http.StatusInternalServerError, msg: msgWrongHost},
		{name: "404", status: http.StatusNotFound, msg: msgWrongHost},
		{name: "302 without location", status: http.StatusFound, msg: msgWrongHost},
		{name: "junk body", body: "<html>hello</html>", msg: msgWrongHost},
		{name: "empty body", body: " ", msg: msgWrongHost},
		{name: "JSON list", body: `[{"keys":[]}]`, msg: msgWrongHost},
		{name: "JSON null", body: `null`, msg: msgWrongHost},
		{name: "body over 1 MiB", body: big, msg: msgWrongHost},
		{name: "no keys", body: `{"kes":[]}`, msg: msgWrongPayload},
		{name: "keys null", body: `{"keys":null}`, msg: msgWrongPayload},
		{name: "keys not a list", body: `{"keys":{"kid":"test-kid"}}`, msg: msgWrongPayload},
		{name: "empty keys", body: `{"keys":[]}`, msg: msgKidNotFound},
		{name: "keys without kid", body: `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, msg: msgKidNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.iss.SetStatus(tt.status)
			if tt.body != "" {
				f.iss.SetBody([]byte(tt.body))
			}
			_, err := f.v.Verify(context.Background(), bearer(f.iss.Token(goodClaims())), []string{testAudience})
			wantAuthError(t, err, tt.msg)
			wantFetches(t, f.iss, 1)
		})
	}
}

// TestJWKSKeysItCannotUse: a kid whose key is not an RSA signing key of
// sufficient size is found but never verifies, and one odd key does not
// spoil the others.
func TestJWKSKeysItCannotUse(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	iss := authtest.Start(t)
	good := jose.JSONWebKey{Key: iss.PublicKey(), KeyID: authtest.KeyID, Algorithm: "RS256", Use: "sig"}
	set := func(keys ...any) []byte {
		b, err := json.Marshal(map[string]any{"keys": keys})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"EC key under the kid", set(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: authtest.KeyID}), false},
		{"1024-bit RSA key", set(jose.JSONWebKey{Key: &small.PublicKey, KeyID: authtest.KeyID}), false},
		{"encryption key", set(jose.JSONWebKey{Key: iss.PublicKey(), KeyID: authtest.KeyID, Use: "enc"}), false},
		{"key for another alg", set(jose.JSONWebKey{Key: iss.PublicKey(), KeyID: authtest.KeyID, Algorithm: "PS256"}), false},
		{"symmetric key", set(map[string]any{"kty": "oct", "kid": authtest.KeyID, "k": "c2VjcmV0"}), false},
		{"junk key under the kid", set(map[string]any{"kty": "RSA", "kid": authtest.KeyID, "n": 5}), false},
		{"good key without alg or use", set(jose.JSONWebKey{Key: iss.PublicKey(), KeyID: authtest.KeyID}), true},
		{"odd keys beside the good one", set(
			map[string]any{"kty": "OKP", "crv": "X448", "kid": "x", "x": "AA"},
			jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ec"},
			"not an object",
			good,
		), true},
		{"junk key and good key under one kid", set(
			map[string]any{"kty": "RSA", "kid": authtest.KeyID, "n": 5},
			good,
		), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureFor(t, iss, iss.Client(), iss.Host())
			iss.SetBody(tt.body)
			_, err := f.v.Verify(context.Background(), bearer(iss.Token(goodClaims())), []string{testAudience})
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantAuthError(t, err, msgWrongKey)
		})
	}
}

func TestJWKSUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	iss := authtest.Start(t)
	f := newFixtureFor(t, iss, iss.Client(), closed)
	_, err = f.v.Verify(context.Background(), bearer(iss.Token(with(goodClaims(), "jwks_host", closed))), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
}

// TestJWKSPlainHTTP: a JWKS host that does not speak TLS is a failure,
// never a reason to fall back to http.
func TestJWKSPlainHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("plain HTTP server got %s %s", r.Method, r.URL)
	}))
	defer plain.Close()
	iss := authtest.Start(t)
	host := plain.Listener.Addr().String()
	f := newFixtureFor(t, iss, iss.Client(), host)
	_, err := f.v.Verify(context.Background(), bearer(iss.Token(with(goodClaims(), "jwks_host", host))), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
}

func TestJWKSRedirectNotFollowed(t *testing.T) {
	iss := authtest.Start(t)
	// Another TLS server on loopback (same test certificate), allowed,
	// whose JWKS redirects to the issuer's.
	redirector := httptest.NewTLSServer(http.RedirectHandler(iss.URL()+authtest.JWKSPath, http.StatusFound))
	defer redirector.Close()
	host := redirector.Listener.Addr().String()

	f := newFixtureFor(t, iss, iss.Client(), host)
	_, err := f.v.Verify(context.Background(), bearer(iss.Token(with(goodClaims(), "jwks_host", host))), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, iss, 0)
	if got := f.outbound.Count(); got != 1 {
		t.Errorf("outbound requests = %d, want 1", got)
	}
}

// TestDefaultClient checks the client New builds itself: it trusts
// RootCAs, and does not follow redirects either.
func TestDefaultClient(t *testing.T) {
	iss := authtest.Start(t)
	redirector := httptest.NewTLSServer(http.RedirectHandler(iss.URL()+authtest.JWKSPath, http.StatusMovedPermanently))
	defer redirector.Close()
	redirectHost := redirector.Listener.Addr().String()

	v, err := New(Options{AllowedHosts: []string{iss.Host(), redirectHost}, RootCAs: iss.RootCAs()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.jwks.client.CloseIdleConnections()
	if _, err := v.Verify(context.Background(), bearer(iss.Token(goodClaims())), []string{testAudience}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	_, err = v.Verify(context.Background(), bearer(iss.Token(with(goodClaims(), "jwks_host", redirectHost))), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, iss, 1)

	// Without the test root the issuer's certificate is not trusted.
	untrusting, err := New(Options{AllowedHosts: []string{iss.Host()}})
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.jwks.client.CloseIdleConnections()
	_, err = untrusting.Verify(context.Background(), bearer(iss.Token(goodClaims())), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, iss, 1)
}

// TestGivenClientNeverFollowsRedirects: even a client that would follow
// redirects is made not to.
func TestGivenClientNeverFollowsRedirects(t *testing.T) {
	iss := authtest.Start(t)
	redirector := httptest.NewTLSServer(http.RedirectHandler(iss.URL()+authtest.JWKSPath, http.StatusTemporaryRedirect))
	defer redirector.Close()
	host := redirector.Listener.Addr().String()
	// iss.Client() follows redirects, as every http.Client does by default.
	v, err := New(Options{AllowedHosts: []string{host}, HTTPClient: iss.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), bearer(iss.Token(with(goodClaims(), "jwks_host", host))), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, iss, 0)
}

func TestJWKSFailureCachedBriefly(t *testing.T) {
	f := newFixture(t)
	token := f.iss.Token(goodClaims())
	f.iss.SetStatus(http.StatusServiceUnavailable)
	for range 5 {
		_, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience})
		wantAuthError(t, err, msgWrongHost)
	}
	wantFetches(t, f.iss, 1)

	f.iss.SetStatus(0)
	f.clock.Advance(negativeTTL - time.Second)
	_, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, f.iss, 1)

	f.clock.Advance(time.Second)
	verifyOK(t, f, token)
	wantFetches(t, f.iss, 2)
}

// TestFailedRefreshKeepsKnownKeys: an unknown kid's refresh that fails
// does not lock out tokens of the kids already known.
func TestFailedRefreshKeepsKnownKeys(t *testing.T) {
	f := newFixture(t)
	token := f.iss.Token(goodClaims())
	verifyOK(t, f, token)

	f.iss.SetStatus(http.StatusInternalServerError)
	f.clock.Advance(time.Minute)
	rotated := f.iss.SignWith(map[string]any{"kid": "new-kid"}, goodClaims(), "RS256")
	_, err := f.v.Verify(context.Background(), bearer(rotated), []string{testAudience})
	wantAuthError(t, err, msgWrongHost)
	wantFetches(t, f.iss, 2)

	verifyOK(t, f, token)
	wantFetches(t, f.iss, 2)
}

func TestMetrics(t *testing.T) {
	iss := authtest.Start(t)
	reg := prometheus.NewPedanticRegistry()
	opts := Options{AllowedHosts: []string{iss.Host()}, HTTPClient: iss.Client(), Registerer: reg}
	v, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// A second Verifier on the same registry would mix its counts with the
	// first's: it is refused (promreg's rule).
	if _, err := New(opts); err == nil {
		t.Fatal("second New on one registry succeeded, want a registration error")
	}
	token := iss.Token(goodClaims())
	for range 3 {
		if _, err := v.Verify(context.Background(), bearer(token), []string{testAudience}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = v.Verify(context.Background(), "", nil)
	_, _ = v.Verify(context.Background(), bearer(token), []string{"https://other.example.com"})
	_, _ = v.Verify(context.Background(), bearer(token), []string{"https://other.example.com"})

	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
				if strings.Contains(l.GetValue(), token) || strings.Contains(l.GetValue(), "urlscan-key") {
					t.Errorf("label %s carries a secret", l.GetName())
				}
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"auth_jwks_fetches_total,result=ok":         1,
		"auth_jwks_fetches_total,result=bad_status": 0,
		"auth_failures_total,reason=header":         1,
		"auth_failures_total,reason=audience":       2,
		"auth_failures_total,reason=signature":      0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}
