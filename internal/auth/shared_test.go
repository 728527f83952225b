package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/clocktest"
)

const sharedKey = "a-shared-key-of-at-least-32-bytes!!"

// newSharedFixture is newFixture with key as the shared HS256 key (none
// when key is nil).
func newSharedFixture(t *testing.T, key []byte) *fixture {
	t.Helper()
	iss := authtest.Start(t)
	client := iss.Client()
	ct := &authtest.Transport{Base: client.Transport}
	t.Cleanup(client.CloseIdleConnections)
	clk := clocktest.New(time.Now())
	v, err := New(Options{
		AllowedHosts: []string{iss.Host()},
		HTTPClient:   &http.Client{Transport: ct},
		Now:          clk.Now,
		SharedKey:    key,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{iss: iss, v: v, clock: clk, outbound: ct}
}

// hmacSigned signs header and claims with HMAC-SHA256 under key, whatever
// the header's alg says.
func hmacSigned(key []byte, header, claims map[string]any) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestVerifySharedKey(t *testing.T) {
	now := time.Now().Unix()
	good := goodClaims()
	key := []byte(sharedKey)
	ok := &Claims{Key: "urlscan-key"}
	tests := []struct {
		name   string
		shared []byte // the verifier's CONFIGURATION_TOKEN_KEY; nil: none
		token  func(iss *authtest.Issuer) string
		msg    string // the refusal after "Authorization failed: "
		want   *Claims
	}{
		{name: "right key", shared: key, token: func(*authtest.Issuer) string { return authtest.SharedToken(key, good) }, want: ok},
		{name: "right key, limit and no jwks_host needed", shared: key,
			token: func(*authtest.Issuer) string {
				return authtest.SharedToken(key, with(good, "CTR_ENTITIES_LIMIT", 7))
			}, want: &Claims{Key: "urlscan-key", EntitiesLimit: 7}},
		{name: "right key, a kid and jwks_host are ignored", shared: key,
			token: func(*authtest.Issuer) string {
				return hmacSigned(key, map[string]any{"alg": "HS256", "kid": "../x"}, with(good, "jwks_host", "evil.example.com"))
			}, want: ok},
		{name: "wrong key", shared: key,
			token: func(*authtest.Issuer) string {
				return authtest.SharedToken([]byte("another-key-of-at-least-32-bytes!!"), good)
			}, msg: msgWrongKey},
		{name: "key with one byte more", shared: key,
			token: func(*authtest.Issuer) string { return authtest.SharedToken([]byte(sharedKey+"x"), good) }, msg: msgWrongKey},
		{name: "HS256 without a shared key, no jwks_host", shared: nil,
			token: func(*authtest.Issuer) string { return authtest.SharedToken(key, good) }, msg: msgHostMissing},
		{name: "HS256 without a shared key, allowed jwks_host", shared: nil,
			token: func(iss *authtest.Issuer) string {
				return hmacSigned(key, map[string]any{"alg": "HS256", "kid": authtest.KeyID}, with(good, "jwks_host", iss.Host()))
			}, msg: msgWrongKey},
		{name: "HS256 keyed with the RSA public key", shared: key,
			token: func(iss *authtest.Issuer) string { return iss.SignWith(nil, good, "HS256") }, msg: msgWrongKey},
		{name: "RS256 still accepted", shared: key, token: func(iss *authtest.Issuer) string { return iss.Token(good) }, want: ok},
		{name: "RS256 header, HMAC with the shared key", shared: key,
			token: func(iss *authtest.Issuer) string {
				return hmacSigned(key, map[string]any{"alg": "RS256", "kid": authtest.KeyID}, with(good, "jwks_host", iss.Host()))
			}, msg: msgWrongKey},
		{name: "lower-case hs256 is not HS256", shared: key,
			token: func(*authtest.Issuer) string { return hmacSigned(key, map[string]any{"alg": "hs256"}, good) }, msg: msgHostMissing},
		{name: "HS512 with the shared key", shared: key,
			token: func(iss *authtest.Issuer) string {
				return hmacSigned(key, map[string]any{"alg": "HS512", "kid": authtest.KeyID}, with(good, "jwks_host", iss.Host()))
			}, msg: msgWrongKey},
		{name: "alg none", shared: key, token: func(iss *authtest.Issuer) string { return iss.SignWith(nil, good, "none") }, msg: msgWrongKey},
		{name: "alg none, no jwks_host", shared: key,
			token: func(iss *authtest.Issuer) string { return iss.SignWith(nil, with(good, "jwks_host", nil), "none") }, msg: msgHostMissing},
		{name: "tampered payload", shared: key,
			token: func(*authtest.Issuer) string {
				return swapPayload(authtest.SharedToken(key, good), with(good, "key", "stolen", "exp", now+3600))
			}, msg: msgWrongKey},
		{name: "empty signature", shared: key,
			token: func(*authtest.Issuer) string {
				tok := authtest.SharedToken(key, good)
				return tok[:strings.LastIndexByte(tok, '.')+1]
			}, msg: msgWrongKey},
		// The same claims rules as RS256.
		{name: "wrong audience", shared: key,
			token: func(*authtest.Issuer) string {
				return authtest.SharedToken(key, with(good, "aud", "https://other.example.com"))
			}, msg: msgWrongAudience},
		{name: "expired", shared: key,
			token: func(*authtest.Issuer) string { return authtest.SharedToken(key, with(good, "exp", now-3600)) }, msg: msgExpired},
		{name: "not yet valid", shared: key,
			token: func(*authtest.Issuer) string { return authtest.SharedToken(key, with(good, "nbf", now+3600)) }, msg: msgNotYetValid},
		{name: "no urlscan key", shared: key,
			token: func(*authtest.Issuer) string { return authtest.SharedToken(key, with(good, "key", nil)) }, msg: msgWrongPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSharedFixture(t, tt.shared)
			tok := tt.token(f.iss)
			got, err := f.v.Verify(context.Background(), bearer(tok), []string{testAudience})
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Verify: %v, want claims %+v", err, *tt.want)
				}
				if *got != *tt.want {
					t.Errorf("claims = %+v, want %+v", *got, *tt.want)
				}
				return
			}
			if got != nil {
				t.Errorf("claims = %+v, want none", *got)
			}
			wantAuthError(t, err, tt.msg)
			if strings.Contains(err.Error(), sharedKey) {
				t.Errorf("error %q carries the shared key", err)
			}
		})
	}
}

// TestSharedKeyFetchesNothing checks that HS256 tokens are verified
// without any JWKS fetch.
func TestSharedKeyFetchesNothing(t *testing.T) {
	f := newSharedFixture(t, []byte(sharedKey))
	for range 3 {
		if _, err := f.v.Verify(context.Background(), bearer(authtest.SharedToken([]byte(sharedKey), goodClaims())), []string{testAudience}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.outbound.Count(); got != 0 {
		t.Errorf("outbound requests = %d, want 0", got)
	}
}

func TestNewRefusesShortSharedKey(t *testing.T) {
	for _, tt := range []struct {
		key  []byte
		fail bool
	}{
		{key: nil},
		{key: []byte{}, fail: true},
		{key: []byte("short"), fail: true},
		{key: []byte(strings.Repeat("k", MinSharedKeyBytes-1)), fail: true},
		{key: []byte(strings.Repeat("k", MinSharedKeyBytes))},
		{key: []byte(strings.Repeat("ü", MinSharedKeyBytes/2))}, // 32 bytes of UTF-8
	} {
		_, err := New(Options{AllowedHosts: []string{"visibility.amp.cisco.com"}, SharedKey: tt.key})
		if (err != nil) != tt.fail {
			t.Errorf("New with a %d-byte key: error %v, want failure %v", len(tt.key), err, tt.fail)
		}
		if err != nil && len(tt.key) > 0 && strings.Contains(err.Error(), string(tt.key)) {
			t.Errorf("error %q carries the key", err)
		}
	}
}
