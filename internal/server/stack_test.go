package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// The tests in this file run the real stack (auth, and the relay as serve
// assembles it) against the fake urlscan.io and a JWKS served over TLS.

const (
	testKey      = "stack-distinctive-key-7d3a9e"
	testAudience = "https://relay.example"
)

type stack struct {
	handler  http.Handler
	upstream *urlscantest.Server
	issuer   *authtest.Issuer
}

// newStack builds a fresh relay (fresh caches, rate-limit marks and JWKS
// cache) on a fresh fake urlscan.io.
func newStack(t *testing.T, iss *authtest.Issuer, mutate func(*config.Config)) *stack {
	t.Helper()
	up := urlscantest.NewServer(urlscantest.Options{APIKey: testKey})
	t.Cleanup(up.Close)
	cfg := config.Default()
	cfg.URLScanAPIURL = up.URL
	cfg.JWKSHosts = []string{iss.Host()}
	cfg.RelayAudience = []string{testAudience}
	if mutate != nil {
		mutate(&cfg)
	}
	rel := assembleRelay(t, cfg, assemble.Options{
		Client: func(o *urlscan.Options) { o.RetryPause = func() time.Duration { return 0 } },
	})
	verifier, err := auth.New(auth.Options{AllowedHosts: cfg.JWKSHosts, RootCAs: iss.RootCAs()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{
		Config:   cfg,
		Version:  "test",
		Relay:    rel.Service,
		Tiles:    rel.Tiles,
		Verifier: verifier,
		Check:    rel.Client.Check,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{handler: h, upstream: up, issuer: iss}
}

// assembleRelay is the relay of cfg as serve assembles it, with version
// "test", released when t ends.
func assembleRelay(t testing.TB, cfg config.Config, o assemble.Options) *assemble.Relay {
	t.Helper()
	o.Version = "test"
	rel, err := assemble.New(context.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rel.Close)
	return rel
}

func (s *stack) token(claims map[string]any) string {
	c := map[string]any{"key": testKey, "aud": testAudience}
	for k, v := range claims {
		c[k] = v
	}
	return s.issuer.Token(c)
}

// post sends body to path with the given Authorization header value and
// returns the decoded answer as generic JSON and as text.
func (s *stack) post(t *testing.T, path, authorization, body string) (map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", path, rec.Code, raw)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("POST %s: %v in %s", path, err, raw)
	}
	return got, string(raw)
}

// authRoutes are the routes that need a token, each with a body that holds
// a supported observable.
var authRoutes = []struct{ path, body string }{
	{"/health", ""},
	{"/observe/observables", `[{"type":"ip","value":"1.1.1.1"}]`},
	{"/deliberate/observables", `[{"type":"ip","value":"1.1.1.1"}]`},
	{"/refer/observables", `[{"type":"ip","value":"1.1.1.1"}]`},
	{"/respond/trigger", `{"action-id":"urlscan-scan-private","observable_type":"url","observable_value":"https://x.example/","visibility":"private"}`},
	{"/tiles/tile-data", `{"tile_id":"urlscan-quota","period":"last_24_hours"}`},
}

func firstError(t *testing.T, got map[string]any) (code, message string) {
	t.Helper()
	errs, _ := got["errors"].([]any)
	if len(errs) == 0 {
		return "", ""
	}
	e, _ := errs[0].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

func TestAuthFailuresOnEveryRoute(t *testing.T) {
	iss := authtest.Start(t)
	base := newStack(t, iss, nil)
	const prefix = "Authorization failed: "
	tests := []struct {
		name          string
		authorization func(s *stack) string
		jwks          func(iss *authtest.Issuer) // breaks the JWKS endpoint for this case
		code, message string
	}{
		{"missing header", func(*stack) string { return "" }, nil,
			"authorization error", prefix + "Authorization header is missing"},
		{"wrong type", func(s *stack) string { return "Basic " + s.token(nil) }, nil,
			"authorization error", prefix + "Wrong authorization type"},
		{"three words", func(s *stack) string { return "Bearer " + s.token(nil) + " extra" }, nil,
			"authorization error", prefix + "Wrong authorization type"},
		{"not a JWT", func(*stack) string { return "Bearer not.a.jwt" }, nil,
			"authorization error", prefix + "Wrong JWT structure"},
		{"no jwks_host", func(s *stack) string { return "Bearer " + s.token(map[string]any{"jwks_host": nil}) }, nil,
			"authorization error", prefix + "jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type"},
		{"jwks_host not allowed", func(s *stack) string {
			return "Bearer " + s.token(map[string]any{"jwks_host": "visibility.evil.example"})
		}, nil, "authorization error", prefix + "Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"},
		{"JWKS answers 500", func(s *stack) string { return "Bearer " + s.token(nil) }, func(i *authtest.Issuer) { i.SetStatus(500) },
			"authorization error", prefix + "Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"},
		{"JWKS without keys", func(s *stack) string { return "Bearer " + s.token(nil) }, func(i *authtest.Issuer) { i.SetBody([]byte(`{"nokeys":[]}`)) },
			"authorization error", prefix + "Wrong JWT payload structure"},
		{"unknown kid", func(s *stack) string {
			return "Bearer " + s.issuer.SignWith(map[string]any{"kid": "other-kid"}, map[string]any{"key": testKey, "aud": testAudience}, "RS256")
		}, nil, "authorization error", prefix + "kid from JWT header not found in API response"},
		{"alg none", func(s *stack) string {
			return "Bearer " + s.issuer.SignWith(nil, map[string]any{"key": testKey, "aud": testAudience}, "none")
		}, nil, "authorization error", prefix + "Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region."},
		{"bad signature", func(s *stack) string {
			tok := s.token(nil)
			return "Bearer " + tok[:len(tok)-4] + "AAAA"
		}, nil, "authorization error", prefix + "Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region."},
		{"wrong audience", func(s *stack) string { return "Bearer " + s.token(map[string]any{"aud": "https://other.example"}) }, nil,
			"authorization error", prefix + "Wrong configuration-token-audience"},
		{"expired", func(s *stack) string { return "Bearer " + s.token(map[string]any{"exp": 1000}) }, nil,
			"authorization error", prefix + "Token has expired"},
		{"not yet valid", func(s *stack) string { return "Bearer " + s.token(map[string]any{"nbf": 4102444800}) }, nil,
			"authorization error", prefix + "Token is not yet valid"},
		{"no key", func(s *stack) string { return "Bearer " + s.token(map[string]any{"key": nil}) }, nil,
			"authorization error", prefix + "Wrong JWT payload structure"},
		{"key not a string", func(s *stack) string { return "Bearer " + s.token(map[string]any{"key": 42}) }, nil,
			"authorization error", prefix + "Wrong JWT payload structure"},
		{"empty key", func(s *stack) string { return "Bearer " + s.token(map[string]any{"key": ""}) }, nil,
			"permission denied", "The request is missing a valid API key."},
		{"key not a header value", func(s *stack) string { return "Bearer " + s.token(map[string]any{"key": "bad key\r\n"}) }, nil,
			"permission denied", "The request is missing a valid API key."},
	}
	for _, tt := range tests {
		for _, route := range authRoutes {
			t.Run(tt.name+" "+route.path, func(t *testing.T) {
				s := base
				if tt.jwks != nil {
					s = newStack(t, iss, nil) // a fresh JWKS cache
					tt.jwks(iss)
					defer func() { iss.SetStatus(0); iss.SetBody(nil) }()
				}
				got, raw := s.post(t, route.path, tt.authorization(s), route.body)
				code, msg := firstError(t, got)
				if code != tt.code || msg != tt.message {
					t.Errorf("got %s\nwant code %q message %q", raw, tt.code, tt.message)
				}
				if strings.Contains(raw, testKey) {
					t.Errorf("answer holds the API key: %s", raw)
				}
			})
		}
	}
	if n := base.upstream.Calls("search") + base.upstream.Calls("result") + base.upstream.Calls("scan"); n != 0 {
		// Only "key not a header value" reaches the client, which must refuse it itself.
		t.Errorf("unauthorized requests made %d urlscan calls, want 0", n)
	}
}

func TestUpstreamFailuresOnEveryEndpoint(t *testing.T) {
	iss := authtest.Start(t)
	const (
		unavailable = "The urlscan.io is unavailable. Please, try again later."
		tooMany     = "Too many requests have been made to URLScan. Please, try again later."
	)
	tests := []struct {
		name          string
		fault         urlscantest.Fault // Endpoint is set per route
		code, message string            // message: a prefix
	}{
		{"401", urlscantest.Fault{Status: 401}, "permission denied", "The request is missing a valid API key."},
		{"403", urlscantest.Fault{Status: 403}, "permission denied", "The request is missing a valid API key."},
		{"429 beyond the deadline", urlscantest.Fault{Status: 429, Header: http.Header{"X-Rate-Limit-Reset-After": {"3600"}}}, "too many requests", tooMany},
		{"429 without headers", urlscantest.Fault{Status: 429}, "too many requests", tooMany},
		{"500", urlscantest.Fault{Status: 500}, "internal error", "The URLScan internal error."},
		{"502", urlscantest.Fault{Status: 502}, "service unavailable", unavailable},
		{"503", urlscantest.Fault{Status: 503}, "service unavailable", unavailable},
		{"504", urlscantest.Fault{Status: 504}, "service unavailable", unavailable},
		{"connection dropped", urlscantest.Fault{Drop: true}, "service unavailable", unavailable},
		{"not JSON", urlscantest.Fault{Body: "<html>oops</html>"}, "unknown", ""},
		{"truncated JSON", urlscantest.Fault{Body: `{"results":[{"_id":"ab`}, "unknown", ""},
		{"400", urlscantest.Fault{Status: 400, Body: `{"message":"DNS Error - Could not resolve domain","status":400}`}, "bad request", "DNS Error - Could not resolve domain"},
		{"418", urlscantest.Fault{Status: 418, Body: `{"message":"teapot"}`}, "unknown", "418"},
	}
	routes := []struct{ path, body, endpoint string }{
		{"/health", "", "quotas"},
		{"/observe/observables", `[{"type":"domain","value":"a.example"}]`, "search"},
		{"/deliberate/observables", `[{"type":"domain","value":"a.example"}]`, "search"},
		{"/refer/observables", `[{"type":"domain","value":"a.example"}]`, "search"},
		{"/respond/trigger", `{"action-id":"urlscan-scan-private","observable_type":"domain","observable_value":"a.example"}`, "scan"},
	}
	for _, tt := range tests {
		for _, route := range routes {
			t.Run(tt.name+" "+route.path, func(t *testing.T) {
				s := newStack(t, iss, nil)
				f := tt.fault
				f.Endpoint = route.endpoint
				s.upstream.Inject(f)
				got, raw := s.post(t, route.path, "Bearer "+s.token(nil), route.body)
				code, msg := firstError(t, got)
				if code != tt.code || !strings.HasPrefix(msg, tt.message) {
					t.Errorf("got %s\nwant code %q, message starting %q", raw, tt.code, tt.message)
				}
				if route.path == "/respond/trigger" && !strings.Contains(raw, `"status":"failure"`) {
					t.Errorf("trigger failure without status failure: %s", raw)
				}
				if strings.Contains(raw, testKey) || strings.Contains(strings.ToLower(raw), "traceback") {
					t.Errorf("answer leaks: %s", raw)
				}
			})
		}
	}
}

func TestSearch404(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	s.upstream.Inject(urlscantest.Fault{Endpoint: "search", Status: 404})
	got, raw := s.post(t, "/observe/observables", "Bearer "+s.token(nil), `[{"type":"url","value":"http://x.example/"}]`)
	if code, msg := firstError(t, got); code != "not found" || msg != "The URLScan not found." {
		t.Errorf("search 404 = %s", raw)
	}
}

func TestPartialDataBesideAnError(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	s.upstream.Inject(urlscantest.Fault{Endpoint: "search", Match: "broken.example", Status: 503})
	got, raw := s.post(t, "/observe/observables", "Bearer "+s.token(nil),
		`[{"type":"domain","value":"broken.example"},{"type":"ip","value":"1.1.1.1"}]`)
	if code, _ := firstError(t, got); code != "service unavailable" {
		t.Errorf("want a service unavailable error: %s", raw)
	}
	data, _ := got["data"].(map[string]any)
	sightings, _ := data["sightings"].(map[string]any)
	if sightings["count"] != float64(2) {
		t.Errorf("want the 1.1.1.1 sightings beside the error: %s", raw)
	}
}

func TestDeletedScanKeepsItsSighting(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	s.upstream.Inject(urlscantest.Fault{Endpoint: "result", Match: "14afd7c3", Status: 410})
	got, raw := s.post(t, "/observe/observables", "Bearer "+s.token(nil), `[{"type":"ip","value":"1.1.1.1"}]`)
	if _, has := got["errors"]; has {
		t.Errorf("a deleted scan is not an error: %s", raw)
	}
	data, _ := got["data"].(map[string]any)
	if c := data["sightings"].(map[string]any)["count"]; c != float64(2) {
		t.Errorf("sightings = %v, want 2", c)
	}
	if c := data["judgements"].(map[string]any)["count"]; c != float64(1) {
		t.Errorf("judgements = %v, want 1 (the deleted scan has none)", c)
	}
}

func TestEntitiesLimit(t *testing.T) {
	iss := authtest.Start(t)
	tests := []struct {
		name     string
		limit    any
		wantSize string
	}{
		{"valid", 5, "5"},
		{"numeric string", "7", "7"},
		{"junk", "lots", "100"},
		{"negative", -3, "100"},
		{"huge", 1e9, "1000"},
		{"absent", nil, "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, iss, nil)
			s.post(t, "/observe/observables", "Bearer "+s.token(map[string]any{"CTR_ENTITIES_LIMIT": tt.limit}), `[{"type":"domain","value":"limit.example"}]`)
			reqs := s.upstream.Requests()
			if len(reqs) == 0 || reqs[0].Size != tt.wantSize {
				t.Fatalf("search requests %+v, want size=%s", reqs, tt.wantSize)
			}
		})
	}
	s := newStack(t, iss, nil)
	got, _ := s.post(t, "/observe/observables", "Bearer "+s.token(map[string]any{"CTR_ENTITIES_LIMIT": 1}), `[{"type":"ip","value":"1.1.1.1"}]`)
	data, _ := got["data"].(map[string]any)
	if c := data["sightings"].(map[string]any)["count"]; c != float64(1) {
		t.Errorf("limit 1: sightings = %v, want 1", c)
	}
}

func TestDuplicateAndUnsupportedObservables(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	s.post(t, "/observe/observables", "Bearer "+s.token(nil),
		`[{"type":"IP","value":"1.1.1.1"},{"type":"ip","value":"1.1.1.1"},{"type":"email","value":"a@b.example"},{"type":"md5","value":"d41d8cd98f00b204e9800998ecf8427e"}]`)
	if n := s.upstream.Calls("search"); n != 1 {
		t.Errorf("searches = %d, want 1 (duplicates and unsupported types dropped)", n)
	}
}

// TestGoldenOverHTTP checks the fixtures' answers through the whole stack:
// the relay's own golden tests check the mapping; this checks the wire.
func TestGoldenOverHTTP(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	for _, tt := range []struct{ path, golden string }{
		{"/observe/observables", "../relay/testdata/observe_ip_1.1.1.1.expected.json"},
		{"/refer/observables", "../relay/testdata/refer_ip_1.1.1.1.expected.json"},
	} {
		_, raw := s.post(t, tt.path, "Bearer "+s.token(nil), `[{"type":"ip","value":"1.1.1.1"}]`)
		want, err := os.ReadFile(tt.golden)
		if err != nil {
			t.Fatal(err)
		}
		var gotV, wantV any
		if err := json.Unmarshal([]byte(raw), &gotV); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &wantV); err != nil {
			t.Fatal(err)
		}
		stripIDs(gotV)
		if diff := cmp.Diff(wantV, gotV); diff != "" {
			t.Errorf("%s over HTTP differs from %s (-want +got):\n%s", tt.path, tt.golden, diff)
		}
	}
}

// stripIDs removes the transient ids the fixtures leave out; reference ids
// (which start "ref-") are deterministic and stay.
func stripIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"source_ref", "target_ref", "judgement_id"} {
			delete(x, k)
		}
		if id, ok := x["id"].(string); ok && strings.HasPrefix(id, "transient:") {
			delete(x, "id")
		}
		for _, e := range x {
			stripIDs(e)
		}
	case []any:
		for _, e := range x {
			stripIDs(e)
		}
	}
}
