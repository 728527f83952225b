package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/urlscan/urlscantest"
)

const basePath = "/integrations/urlscanio"

// rootRoutes stay where orchestrators and scrapers look, whatever BASE_PATH.
var rootRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// basePathRelay is the real stack served under basePath, with metrics, and
// the audience left to be derived from each request unless audience is set.
type basePathRelay struct{ *stack }

func newBasePathRelay(t *testing.T, audience ...string) *basePathRelay {
	t.Helper()
	iss := authtest.Start(t)
	up := urlscantest.NewServer(urlscantest.Options{APIKey: testKey})
	t.Cleanup(up.Close)
	cfg := config.Default()
	cfg.URLScanAPIURL = up.URL
	cfg.JWKSHosts = []string{iss.Host()}
	cfg.RelayAudience = audience
	cfg.BasePath = basePath
	verifier, err := auth.New(auth.Options{AllowedHosts: cfg.JWKSHosts, RootCAs: iss.RootCAs()})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	rel := assembleRelay(t, cfg, assemble.Options{Registerer: reg})
	h, err := New(Deps{
		Config: cfg, Version: "test",
		Relay:    rel.Service,
		Tiles:    rel.Tiles,
		Verifier: verifier, Check: rel.Client.Check,
		Registerer: reg, Gatherer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &basePathRelay{&stack{handler: h, upstream: up, issuer: iss}}
}

// do sends one request to the handler, as to http://relay.example.com.
func (b *basePathRelay) do(method, path, authorization, body string, header ...string) (int, []byte) {
	req := httptest.NewRequest(method, "http://relay.example.com"+path, strings.NewReader(body))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, raw
}

// TestBasePathServesEveryEndpoint checks that every relay endpoint answers
// under BASE_PATH with data, that none answers outside it, and that probes
// and metrics stay at the root.
func TestBasePathServesEveryEndpoint(t *testing.T) {
	b := newBasePathRelay(t)
	// The derived audience is the URL XDR calls: scheme, host and BASE_PATH.
	bearer := "Bearer " + b.issuer.Token(map[string]any{"key": testKey, "aud": "http://relay.example.com" + basePath})
	obs := `[{"type":"ip","value":"1.1.1.1"}]`
	tests := []struct {
		method, path, auth, body string
		header                   []string
		want                     string // a fragment of the answer that only data holds
	}{
		{"POST", "/health", bearer, "", nil, `"status":"ok"`},
		{"POST", "/observe/observables", bearer, obs, nil, `"sightings":{"count":`},
		{"POST", "/deliberate/observables", bearer, obs, nil, `"data":{`},
		{"POST", "/refer/observables", bearer, obs, nil, `"ref-urlscan-search-ip-1.1.1.1"`},
		{"POST", "/respond/observables", "", `[{"type":"url","value":"https://x.example/"}]`, nil, `"urlscan-scan-private"`},
		{"POST", "/respond/trigger", bearer, `{"action-id":"urlscan-scan-private","observable_type":"url","observable_value":"https://x.example/","visibility":"private"}`, nil, `"status":"success"`},
		{"POST", "/version", "", "", nil, `"version":"test"`},
		{"GET", "/watchdog", "", "", []string{"Health-Check", "ping"}, `"data":"ping"`},
		{"GET", "/", "", "", nil, `"path":"` + basePath + `/observe/observables"`},
	}
	for _, tt := range tests {
		full := basePath + tt.path
		if tt.path == "/" {
			full = basePath
		}
		for _, p := range []string{full, full + "/"} {
			status, body := b.do(tt.method, p, tt.auth, tt.body, tt.header...)
			if status != http.StatusOK || !strings.Contains(string(body), tt.want) || strings.Contains(string(body), `"errors"`) {
				t.Errorf("%s %s = %d %s, want 200 with %s", tt.method, p, status, body, tt.want)
			}
		}
		// Outside BASE_PATH nothing answers, and the 404 says where to look.
		for _, p := range []string{tt.path, "/integrations" + tt.path, basePath + "x" + tt.path} {
			status, body := b.do(tt.method, p, tt.auth, tt.body, tt.header...)
			if status != http.StatusNotFound {
				t.Errorf("%s %s = %d %s, want 404 outside %s", tt.method, p, status, body, basePath)
			} else if !strings.Contains(string(body), "under "+basePath) {
				t.Errorf("%s %s: 404 %s does not say the endpoints are under %s", tt.method, p, body, basePath)
			}
		}
	}
	for p := range rootRoutes {
		if status, body := b.do("GET", p, "", ""); status != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200 at the root", p, status, body)
		}
		if status, _ := b.do("GET", basePath+p, "", ""); status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404: probes stay at the root", basePath+p, status)
		}
	}

	// The index lists every route: each is under BASE_PATH, or a probe.
	_, body := b.do("GET", basePath, "", "")
	var index struct {
		Endpoints []struct{ Method, Path string } `json:"endpoints"`
	}
	if err := json.Unmarshal(body, &index); err != nil || len(index.Endpoints) < len(tests)+len(rootRoutes) {
		t.Fatalf("index = %s (%v)", body, err)
	}
	for _, e := range index.Endpoints {
		if !rootRoutes[e.Path] && e.Path != basePath && !strings.HasPrefix(e.Path, basePath+"/") {
			t.Errorf("route %s %s is not under BASE_PATH", e.Method, e.Path)
		}
	}

	// Metrics name routes without the prefix, so dashboards read the same.
	_, metrics := b.do("GET", "/metrics", "", "")
	if text := string(metrics); !strings.Contains(text, `route="/observe/observables"`) || strings.Contains(text, `route="`+basePath) {
		t.Errorf("metrics routes carry the prefix or lack /observe/observables:\n%s", text)
	}
}

// TestBasePathAudience checks that the derived audience includes
// BASE_PATH, that a refusal says which URL was expected, and that
// RELAY_AUDIENCE with a path works.
func TestBasePathAudience(t *testing.T) {
	obs := `[{"type":"ip","value":"1.1.1.1"}]`
	derived := newBasePathRelay(t)
	tok := func(b *basePathRelay, aud string) string {
		return "Bearer " + b.issuer.Token(map[string]any{"key": testKey, "aud": aud})
	}
	for _, tt := range []struct {
		aud, header, want string
	}{
		{"http://relay.example.com" + basePath, "", `"sightings"`},
		{"http://relay.example.com" + basePath + "/", "", `"sightings"`},
		{"http://relay.example.com", "", `The relay expected \"http://relay.example.com` + basePath + `\", derived from the request; set RELAY_AUDIENCE`},
		// XDR calls https://; behind TLS termination the relay sees http://.
		{"https://relay.example.com" + basePath, "", "behind a proxy that terminates TLS the derived URL starts with http://"},
		{"http://relay.example.com/integrations", "", "Wrong configuration-token-audience"},
	} {
		_, body := derived.do("POST", basePath+"/observe/observables", tok(derived, tt.aud), obs)
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("derived audience, aud %s: %s, want %s", tt.aud, body, tt.want)
		}
	}

	const configured = "https://xdr-relays.example.com/integrations/urlscanio"
	set := newBasePathRelay(t, configured)
	for _, tt := range []struct{ aud, want string }{
		{configured, `"sightings"`},
		{configured + "/", `"sightings"`},
		{"https://xdr-relays.example.com", "Wrong configuration-token-audience"},
		{"http://relay.example.com" + basePath, "Wrong configuration-token-audience"},
	} {
		_, body := set.do("POST", basePath+"/observe/observables", tok(set, tt.aud), obs)
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("RELAY_AUDIENCE=%s, aud %s: %s, want %s", configured, tt.aud, body, tt.want)
		}
		if strings.Contains(string(body), "The relay expected") {
			t.Errorf("RELAY_AUDIENCE set, yet the error speaks of a derived audience: %s", body)
		}
	}
}
