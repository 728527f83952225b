// Package auth turns the bearer token SecureX sends into verified claims
// (PROTOCOL.md §3): it checks the token's shape, that its jwks_host is one
// the operator allowed, its RS256 signature against that host's JWKS
// (cached) or, when the operator configured a shared key, its HS256
// signature against that key, its audience and lifetime, and reads the
// urlscan.io API key and entities limit from it. Every refusal is (or, for
// a wrong audience, wraps) a *tr.Error carrying the message SecureX users
// know; none carries the token or the key.
package auth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/tr"
)

// DefaultCacheTTL is how long a host's JWKS is used before it is fetched
// again.
const DefaultCacheTTL = 15 * time.Minute

// Options configures a Verifier. AllowedHosts is required.
type Options struct {
	// AllowedHosts are the jwks_host values accepted (JWKS_HOSTS), as
	// host or host:port; New normalises them with NormalizeHost.
	AllowedHosts []string
	// HTTPClient fetches key sets. New uses a copy that never follows
	// redirects and times out after 5 s. Default: a client of its own,
	// trusting RootCAs.
	HTTPClient *http.Client
	// RootCAs are the roots the default client trusts; nil: the system's.
	RootCAs *x509.CertPool
	// CacheTTL is how long a host's key set is kept; default
	// DefaultCacheTTL.
	CacheTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Registerer, when set, receives auth_jwks_fetches_total{result} and
	// auth_failures_total{reason}.
	Registerer prometheus.Registerer
	// Logger receives failed JWKS fetches (host and cause, never a
	// token); default: discard.
	Logger *slog.Logger
	// SharedKey, when set, verifies HS256 tokens
	// (CONFIGURATION_TOKEN_KEY): at least MinSharedKeyBytes long. Without
	// it HS256 tokens are refused.
	SharedKey []byte
}

// MinSharedKeyBytes is the shortest shared key New accepts: HS256 keys
// shorter than its 256-bit hash are guessable by brute force (RFC 7518
// §3.2).
const MinSharedKeyBytes = 32

// Verifier checks SecureX bearer tokens. It is safe for concurrent use.
type Verifier struct {
	allowed  map[string]bool
	jwks     *jwksCache
	verified verifiedTokens
	shared   []byte // nil: HS256 is refused
	ttl      time.Duration
	now      func() time.Time
	metrics  *metrics
}

// Claims is what a verified token grants one request.
type Claims struct {
	// Key is the urlscan.io API key. Never log it.
	Key string
	// EntitiesLimit is CTR_ENTITIES_LIMIT when it is a positive integer
	// (JSON number or string of digits), at most math.MaxInt32; 0 when it
	// is absent or anything else. The caller applies its default and
	// clamp.
	EntitiesLimit int
}

// New returns a Verifier, or an error naming the first bad allowed host.
func New(o Options) (*Verifier, error) {
	if len(o.AllowedHosts) == 0 {
		return nil, errors.New("auth: no allowed JWKS hosts")
	}
	if o.SharedKey != nil && len(o.SharedKey) < MinSharedKeyBytes {
		// Never the key itself: only how long it is.
		return nil, fmt.Errorf("auth: shared key is %d bytes, want at least %d", len(o.SharedKey), MinSharedKeyBytes)
	}
	allowed := make(map[string]bool, len(o.AllowedHosts))
	for _, h := range o.AllowedHosts {
		n, err := NormalizeHost(strings.TrimSpace(h))
		if err != nil {
			return nil, fmt.Errorf("auth: allowed JWKS host %q: %w", h, err)
		}
		allowed[n] = true
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{
		allowed: allowed,
		shared:  bytes.Clone(o.SharedKey),
		ttl:     o.CacheTTL,
		now:     o.Now,
		metrics: m,
		jwks: &jwksCache{
			client:  jwksClient(o),
			ttl:     o.CacheTTL,
			now:     o.Now,
			log:     o.Logger,
			metrics: m,
			hosts:   make(map[string]*hostKeys, len(allowed)),
		},
	}, nil
}

// jwksClient never follows redirects: a JWKS host that redirects could
// send the relay anywhere, which is what the allow-list prevents.
func jwksClient(o Options) *http.Client {
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		c.CheckRedirect = refuseRedirect
		c.Jar = nil // nothing a JWKS host sets is ever sent back
		if c.Timeout <= 0 || c.Timeout > fetchTimeout {
			c.Timeout = fetchTimeout
		}
		return &c
	}
	return &http.Client{
		Timeout:       fetchTimeout,
		CheckRedirect: refuseRedirect,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: fetchTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   fetchTimeout,
			ResponseHeaderTimeout: fetchTimeout,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
	}
}

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Verify checks the Authorization header value of a request against
// PROTOCOL.md §3, step by step, and returns the claims of a good token. The
// token's aud must be one of audiences. Errors are *tr.Error, but for a
// wrong audience, which wraps its *tr.Error (IsWrongAudience).
func (v *Verifier) Verify(ctx context.Context, authorization string, audiences []string) (*Claims, error) {
	c, f := v.verify(ctx, authorization, audiences)
	if f != nil {
		v.metrics.failures.WithLabelValues(string(f.reason)).Inc()
		// A copy: failures may be cached and shared between requests.
		te := &tr.Error{Code: f.err.Code, Message: f.err.Message}
		if f.reason == reasonAudience {
			return nil, &wrongAudience{te}
		}
		return nil, te
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, authorization string, audiences []string) (*Claims, *failure) {
	// 1. The header.
	if authorization == "" {
		return nil, authFailure(reasonHeader, msgHeaderMissing)
	}
	words := strings.Fields(authorization)
	if len(words) == 0 || len(words) == 1 && strings.EqualFold(words[0], "bearer") {
		// "Bearer " with nothing after it is what a client sends when the
		// variable meant to hold the token is empty.
		return nil, authFailure(reasonHeader, msgHeaderMissing)
	}
	if len(words) != 2 || !strings.EqualFold(words[0], "bearer") {
		return nil, authFailure(reasonHeader, msgWrongType)
	}
	token := words[1]
	if claims, ok := v.verified.get(token, v.now()); ok {
		return v.grant(claims, audiences)
	}

	// 2. The token's shape, and where its keys live.
	tok, ok := decodeCompact(token)
	if !ok {
		return nil, authFailure(reasonStructure, msgWrongJWT)
	}
	// The header's alg only picks the path; each path verifies with its
	// own key and that key's one algorithm, so an HS256 token never meets
	// an RSA key and an RS256 token never meets the shared key.
	if alg, _ := stringField(tok.header, "alg"); alg == string(jose.HS256) && v.shared != nil {
		return v.verifyShared(token, audiences)
	}
	rawHost, ok := stringField(tok.payload, "jwks_host")
	if !ok {
		return nil, authFailure(reasonStructure, msgHostMissing)
	}

	// 3. Only hosts the operator allowed are ever asked for keys.
	host, err := NormalizeHost(rawHost)
	if err != nil || !v.allowed[host] {
		return nil, authFailure(reasonJWKSHost, msgWrongHost)
	}

	// 4 and 5. A kid no JWKS could hold is refused before any fetch.
	kid, ok := stringField(tok.header, "kid")
	if !ok || !saneKid(kid) {
		return nil, authFailure(reasonKid, msgKidNotFound)
	}
	pub, found, f := v.jwks.key(ctx, host, kid)
	if f != nil {
		return nil, f
	}
	if !found {
		return nil, authFailure(reasonKid, msgKidNotFound)
	}

	// 6. The algorithm is settled from the header before anything is
	// verified, and only an RSA key ever verifies.
	if alg, _ := stringField(tok.header, "alg"); alg != string(jose.RS256) || pub == nil {
		return nil, authFailure(reasonSignature, msgWrongKey)
	}
	return v.acceptSigned(token, jose.RS256, pub, audiences)
}

// acceptSigned verifies token as alg with key, the one pair its caller
// chose before looking at the signature, remembers the verified claims and
// grants them; from the signature on only the verified payload is read.
func (v *Verifier) acceptSigned(token string, alg jose.SignatureAlgorithm, key any, audiences []string) (*Claims, *failure) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, authFailure(reasonSignature, msgWrongKey)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, authFailure(reasonSignature, msgWrongKey)
	}
	claims, ok := jsonObject(payload)
	if !ok {
		return nil, authFailure(reasonPayload, msgWrongPayload)
	}
	now := v.now()
	v.verified.put(token, claims, now, now.Add(v.ttl))
	return v.grant(claims, audiences)
}

// grant runs the checks of a verified token's claims (steps 6 to 8) that
// depend on the request and the clock, so they run on every request.
func (v *Verifier) grant(claims map[string]json.RawMessage, audiences []string) (*Claims, *failure) {
	if f := v.checkClaims(claims, audiences); f != nil {
		return nil, f
	}

	// 7. The urlscan.io key.
	key, ok := stringField(claims, "key")
	if !ok {
		return nil, authFailure(reasonPayload, msgWrongPayload)
	}
	if key == "" {
		return nil, missingKey()
	}

	// 8. Per request, never shared.
	return &Claims{Key: key, EntitiesLimit: entitiesLimit(claims)}, nil
}

// checkClaims checks aud, then exp and nbf with a minute of leeway for
// clock skew. exp is optional; a non-numeric exp or nbf is refused.
func (v *Verifier) checkClaims(claims map[string]json.RawMessage, audiences []string) *failure {
	if aud, ok := claims["aud"]; !ok || !audienceMatches(aud, audiences) {
		return authFailure(reasonAudience, msgWrongAudience)
	}
	now := v.now()
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	slack := leeway.Seconds()
	exp, present, ok := numberField(claims, "exp")
	if present && !ok {
		return authFailure(reasonPayload, msgWrongPayload)
	}
	if present && exp <= t-slack {
		return authFailure(reasonExpired, msgExpired)
	}
	nbf, present, ok := numberField(claims, "nbf")
	if present && !ok {
		return authFailure(reasonPayload, msgWrongPayload)
	}
	if present && nbf > t+slack {
		return authFailure(reasonNotYetValid, msgNotYetValid)
	}
	return nil
}
