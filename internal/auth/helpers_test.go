package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/tr"
)

const testAudience = "https://relay.example.com"

// routedClient trusts the issuer's certificate and dials the issuer
// whatever host a request names, so that tests can use DNS names (the
// test certificate covers *.example.com) without DNS.
func routedClient(iss *authtest.Issuer) *http.Client {
	tp := iss.Client().Transport.(*http.Transport).Clone()
	tp.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, iss.Host())
	}
	return &http.Client{Transport: tp}
}

type fixture struct {
	iss      *authtest.Issuer
	v        *Verifier
	clock    *clocktest.Clock
	outbound *authtest.Transport
}

// newFixture builds a Verifier that allows the issuer's host and the
// extra hosts, counting every outbound request.
func newFixture(t testing.TB, extra ...string) *fixture {
	t.Helper()
	iss := authtest.Start(t)
	return newFixtureFor(t, iss, iss.Client(), append([]string{iss.Host()}, extra...)...)
}

// newFixtureFor builds a Verifier that allows exactly the allowed hosts
// and fetches through client.
func newFixtureFor(t testing.TB, iss *authtest.Issuer, client *http.Client, allowed ...string) *fixture {
	t.Helper()
	ct := &authtest.Transport{Base: client.Transport}
	t.Cleanup(func() { client.CloseIdleConnections() })
	clk := clocktest.New(time.Now())
	v, err := New(Options{
		AllowedHosts: allowed,
		HTTPClient:   &http.Client{Transport: ct},
		Now:          clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{iss: iss, v: v, clock: clk, outbound: ct}
}

func bearer(token string) string { return "Bearer " + token }

// goodClaims are the claims of a token that passes every check.
func goodClaims() map[string]any {
	return map[string]any{"aud": testAudience, "key": "urlscan-key"}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// trError returns the *tr.Error of a refusal, failing the test unless err
// is exactly that type or, for a wrong audience, a *wrongAudience around
// one whose text it is.
func trError(t *testing.T, err error) *tr.Error {
	t.Helper()
	if wa, ok := err.(*wrongAudience); ok {
		if got, want := wa.Error(), wa.te.Error(); got != want {
			t.Fatalf("wrong-audience error reads %q, its *tr.Error %q", got, want)
		}
		return wa.te
	}
	te, ok := err.(*tr.Error)
	if !ok {
		var wrapped *tr.Error
		t.Fatalf("error %v (%T) is not a *tr.Error (errors.As: %v)", err, err, errors.As(err, &wrapped))
	}
	return te
}

func wantAuthError(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify: no error, want %q", msg)
	}
	te := trError(t, err)
	if got, want := te.Code, tr.AuthorizationError; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if got, want := te.Message, "Authorization failed: "+msg; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if got, want := IsWrongAudience(err), msg == msgWrongAudience; got != want {
		t.Errorf("IsWrongAudience(%v) = %v, want %v", err, got, want)
	}
}
