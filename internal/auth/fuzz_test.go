package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/tr"
)

// recordingTransport answers every request with a fixed key set, without
// a network, and remembers the hosts asked.
type recordingTransport struct {
	jwks []byte
	mu   sync.Mutex
	urls []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(r.jwks)),
		Request:    req,
	}, nil
}

func (r *recordingTransport) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.urls
	r.urls = nil
	return u
}

// knownMessages are every message Verify may answer with.
func knownMessages() map[string]bool {
	m := map[string]bool{}
	for _, msg := range []string{
		msgHeaderMissing, msgWrongType, msgWrongJWT, msgHostMissing, msgWrongHost, msgWrongPayload,
		msgKidNotFound, msgWrongKey, msgWrongAudience, msgExpired, msgNotYetValid,
	} {
		m["Authorization failed: "+msg] = true
	}
	m[tr.MsgMissingKey] = true
	return m
}

// fuzzSharedKey is the verifier's HS256 key, so that the fuzzer reaches
// the shared-key path too.
const fuzzSharedKey = "fuzz-shared-key-of-thirty-two-bytes!"

func FuzzVerify(f *testing.F) {
	iss, err := authtest.NewIssuer()
	if err != nil {
		f.Fatal(err)
	}
	defer iss.Close()
	const allowed = "visibility.amp.cisco.com"
	rt := &recordingTransport{jwks: iss.JWKS()}
	v, err := New(Options{AllowedHosts: []string{allowed}, HTTPClient: &http.Client{Transport: rt}, SharedKey: []byte(fuzzSharedKey)})
	if err != nil {
		f.Fatal(err)
	}
	good := with(goodClaims(), "jwks_host", allowed)
	for _, seed := range []struct{ auth, host, kid, alg string }{
		{"Bearer " + iss.Token(good), allowed, authtest.KeyID, "RS256"},
		{"bearer " + iss.SignWith(nil, good, "none"), "VISIBILITY.amp.cisco.com.", authtest.KeyID, "none"},
		{"Bearer " + iss.SignWith(nil, good, "HS256"), "visibility.amp.cisco.com@evil.com", "../x", "HS256"},
		{"Bearer " + iss.Token(with(good, "jwks_host", "127.0.0.1")), "127.0.0.1:443", "", "ES256"},
		{"Bearer a.b.c", "evil.com/visibility.amp.cisco.com", "k", "RS512"},
		{"", "visibility.amp.cisco.com\r\n", "test-kid\x00", "PS256"},
		{"Basic dXNlcjpwYXNz", "%76isibility.amp.cisco.com", strings.Repeat("k", 300), "junk"},
		{"Bearer eyJhbGciOiJSUzI1NiJ9.eyJqd2tzX2hvc3QiOjF9.", "[::1]", "test-kid", "RS256"},
		{"Bearer " + authtest.SharedToken([]byte(fuzzSharedKey), goodClaims()), "", "", "HS256"},
	} {
		f.Add(seed.auth, seed.host, seed.kid, seed.alg)
	}
	messages := knownMessages()
	f.Fuzz(func(t *testing.T, auth, host, kid, alg string) {
		signed := "Bearer " + iss.SignWith(map[string]any{"kid": kid}, with(good, "jwks_host", host), alg)
		for _, a := range []string{auth, signed} {
			claims, err := v.Verify(context.Background(), a, []string{testAudience})
			for _, u := range rt.take() {
				parsed, perr := url.Parse(u)
				if perr != nil || parsed.Host != allowed || parsed.Path != "/.well-known/jwks" || parsed.User != nil {
					t.Fatalf("fetched %q; only https://%s/.well-known/jwks is allowed", u, allowed)
				}
			}
			if err == nil {
				if claims == nil || claims.Key == "" {
					t.Fatalf("Verify accepted %q without a key", a)
				}
				continue
			}
			te := trError(t, err)
			if !messages[te.Message] {
				t.Fatalf("unexpected message %q", te.Message)
			}
		}
	})
}

func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{
		"visibility.amp.cisco.com", "Visibility.AMP.cisco.com.", "127.0.0.1:8443", "[::1]:443",
		"a@b", "a/b", "a?b", "a#b", "a\\b", "a b", "a\r\nb", "a%2eb", "a:0", "a:65536", "[::1", "::1",
		"127.1", "0x7f.1", "a..b", ".", "", "\u212A.com", "a.b.c:1:2", "[fe80::1%eth0]:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeHost(in)
		if err != nil {
			return
		}
		if again, err := NormalizeHost(out); err != nil || again != out {
			t.Fatalf("NormalizeHost(%q) = %q, but NormalizeHost(%q) = %q, %v", in, out, out, again, err)
		}
		if out != strings.ToLower(out) {
			t.Fatalf("NormalizeHost(%q) = %q, not lower-case", in, out)
		}
		if !strings.EqualFold(strings.Replace(in, ".:", ":", 1), out) &&
			!strings.EqualFold(strings.TrimSuffix(in, "."), out) &&
			!strings.HasPrefix(out, "[") {
			t.Fatalf("NormalizeHost(%q) = %q: more than case and one trailing dot changed", in, out)
		}
		u, err := url.Parse("https://" + out + "/.well-known/jwks")
		if err != nil {
			t.Fatalf("NormalizeHost(%q) = %q, which makes a bad URL: %v", in, out, err)
		}
		if u.Host != out || u.User != nil || u.Path != "/.well-known/jwks" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("NormalizeHost(%q) = %q, which makes a URL for host %q path %q", in, out, u.Host, u.Path)
		}
		if strings.ContainsAny(out, "@/?#\\% \t\r\n") {
			t.Fatalf("NormalizeHost(%q) = %q, with a refused character", in, out)
		}
	})
}
