package authtest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func fetchJWKS(t *testing.T, i *Issuer) (int, jose.JSONWebKeySet) {
	t.Helper()
	resp, err := i.Client().Get("https://" + i.Host() + JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &set)
	return resp.StatusCode, set
}

func TestTokenVerifiesWithServedKey(t *testing.T) {
	i := Start(t)
	status, set := fetchJWKS(t, i)
	if status != http.StatusOK {
		t.Fatalf("JWKS status = %d, want 200", status)
	}
	keys := set.Key(KeyID)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys under %q, want 1", len(keys), KeyID)
	}
	token := i.Token(map[string]any{"key": "k", "aud": "a"})
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := jws.Signatures[0].Header.KeyID; got != KeyID {
		t.Errorf("kid = %q, want %q", got, KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if got, want := claims["jwks_host"], i.Host(); got != want {
		t.Errorf("jwks_host = %v, want %v", got, want)
	}
	exp, _ := claims["exp"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d < 59*time.Minute || d > time.Hour {
		t.Errorf("exp is %v away, want an hour", d)
	}
	if got, want := i.Fetches(), int64(1); got != want {
		t.Errorf("Fetches = %d, want %d", got, want)
	}
}

func TestTokenNilLeavesClaimOut(t *testing.T) {
	i := Start(t)
	token := i.Token(map[string]any{"exp": nil, "jwks_host": nil, "key": "k"})
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(payload), `{"key":"k"}`; got != want {
		t.Errorf("payload = %s, want %s", got, want)
	}
}

func TestSignWith(t *testing.T) {
	i := Start(t)
	tests := []struct {
		alg    string
		header map[string]any
		// wantHeader is the decoded header; wantSig whether a signature
		// is there at all.
		wantHeader string
		wantSig    bool
		verifies   bool
	}{
		{"none", nil, `{"alg":"none","kid":"test-kid","typ":"JWT"}`, false, false},
		{"RS256", map[string]any{"kid": nil}, `{"alg":"RS256","typ":"JWT"}`, true, true},
		{"HS256", map[string]any{"kid": "x"}, `{"alg":"HS256","kid":"x","typ":"JWT"}`, true, false},
		{"ES256", nil, `{"alg":"ES256","kid":"test-kid","typ":"JWT"}`, true, false},
		{"PS256", nil, `{"alg":"PS256","kid":"test-kid","typ":"JWT"}`, true, false},
		{"RS512", map[string]any{"alg": "RS256"}, `{"alg":"RS256","kid":"test-kid","typ":"JWT"}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			token := i.SignWith(tt.header, map[string]any{"key": "k"}, tt.alg)
			parts := strings.Split(token, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts, want 3", len(parts))
			}
			h, _ := base64.RawURLEncoding.DecodeString(parts[0])
			if got := string(h); got != tt.wantHeader {
				t.Errorf("header = %s, want %s", got, tt.wantHeader)
			}
			if got := parts[2] != ""; got != tt.wantSig {
				t.Errorf("has signature = %v, want %v", got, tt.wantSig)
			}
			jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
			verified := err == nil
			if verified {
				_, err = jws.Verify(i.PublicKey())
				verified = err == nil
			}
			if verified != tt.verifies {
				t.Errorf("verifies as RS256 = %v, want %v", verified, tt.verifies)
			}
		})
	}
}

func TestFailureModes(t *testing.T) {
	i := Start(t)
	i.SetStatus(http.StatusBadGateway)
	if status, _ := fetchJWKS(t, i); status != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", status)
	}
	i.SetStatus(0)
	i.SetBody(i.JWKS("a", "b"))
	if _, set := fetchJWKS(t, i); len(set.Keys) != 2 || set.Keys[1].KeyID != "b" {
		t.Errorf("keys = %+v, want a and b", set.Keys)
	}
	i.SetBody(nil)
	if _, set := fetchJWKS(t, i); len(set.Key(KeyID)) != 1 {
		t.Errorf("keys = %+v, want %s back", set.Keys, KeyID)
	}
}

func TestTrust(t *testing.T) {
	i := Start(t)
	block, _ := pem.Decode(i.CertPEM())
	if block == nil {
		t.Fatal("CertPEM holds no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: i.RootCAs(), DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("certificate does not verify against RootCAs: %v", err)
	}
}
