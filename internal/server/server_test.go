package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/tr"
)

// fakeRelay answers from fixed data and counts calls.
type fakeRelay struct {
	calls   atomic.Int64
	observe ctim.ObserveData
	errs    []error
	panics  bool
	trigger relay.Trigger
}

func (f *fakeRelay) Observe(_ context.Context, _ string, _ []ctim.Observable, _ int) (ctim.ObserveData, []error) {
	f.calls.Add(1)
	if f.panics {
		panic("boom")
	}
	return f.observe, f.errs
}

func (f *fakeRelay) Deliberate(_ context.Context, _ string, _ []ctim.Observable, _ int) (ctim.DeliberateData, []error) {
	f.calls.Add(1)
	return ctim.DeliberateData{Verdicts: f.observe.Verdicts}, f.errs
}

func (f *fakeRelay) Refer(_ context.Context, _ string, obs []ctim.Observable, _ int) ([]ctim.Reference, []error) {
	f.calls.Add(1)
	return nil, f.errs
}

func (f *fakeRelay) Respond(obs []ctim.Observable) []ctim.Action {
	out := make([]ctim.Action, 0, len(obs))
	for _, o := range obs {
		out = append(out, ctim.Action{ID: "scan-" + o.Value})
	}
	return out
}

func (f *fakeRelay) Trigger(_ context.Context, _ string, t relay.Trigger) error {
	f.calls.Add(1)
	f.trigger = t
	return nil
}

// fakeVerifier accepts the token "good" and counts verifications.
type fakeVerifier struct {
	calls     atomic.Int64
	audiences []string
}

func (v *fakeVerifier) Verify(_ context.Context, authorization string, audiences []string) (*auth.Claims, error) {
	v.calls.Add(1)
	v.audiences = audiences
	if authorization != "Bearer good" {
		return nil, tr.New(tr.AuthorizationError, "Authorization failed: Wrong JWT structure")
	}
	return &auth.Claims{Key: "k"}, nil
}

func newTestServer(t *testing.T, rel *fakeRelay, mutate func(*Deps)) (http.Handler, *fakeVerifier) {
	t.Helper()
	v := &fakeVerifier{}
	d := Deps{
		Config:   config.Default(),
		Version:  "9.9.9",
		Relay:    rel,
		Verifier: v,
		Check:    func(context.Context, string) (int, error) { return 1, nil },
	}
	if mutate != nil {
		mutate(&d)
	}
	h, err := New(d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h, v
}

func do(t *testing.T, h http.Handler, method, path, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	raw, _ := io.ReadAll(res.Body)
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	return res, got
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var bearer = map[string]string{"Authorization": "Bearer good"}

func TestRoutesAnswerJSON(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{}, nil)
	tests := []struct {
		method, path string
		header       map[string]string
		wantStatus   int
		want         string
	}{
		{"POST", "/version", nil, 200, `{"version":"9.9.9"}`},
		{"POST", "/version/", nil, 200, `{"version":"9.9.9"}`},
		{"GET", "/version", nil, 405, `{"errors":[{"code":"invalid argument","message":"Method not allowed.","type":"fatal"}]}`},
		{"POST", "/nope", nil, 404, `{"errors":[{"code":"not found","message":"No such endpoint.","type":"fatal"}]}`},
		{"GET", "/observe/observables/extra", nil, 404, `{"errors":[{"code":"not found","message":"No such endpoint.","type":"fatal"}]}`},
		{"GET", "/watchdog", map[string]string{"Health-Check": "abc"}, 200, `{"data":"abc"}`},
		{"GET", "/watchdog/", nil, 200, `{"errors":[{"code":"health check failed","message":"Invalid Health Check","type":"fatal"}]}`},
		{"GET", "/healthz", nil, 200, `{"status":"ok"}`},
		{"GET", "/readyz", nil, 200, `{"status":"ready"}`},
		{"POST", "/health", nil, 200, `{"errors":[{"code":"authorization error","message":"Authorization failed: Wrong JWT structure","type":"fatal"}]}`},
		{"POST", "/health", bearer, 200, `{"data":{"status":"ok"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res, got := do(t, h, tt.method, tt.path, "", tt.header)
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if asJSON(got) != tt.want {
				t.Errorf("body = %s, want %s", asJSON(got), tt.want)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if res.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
		})
	}
}

func TestIndexNamesEndpoints(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{}, nil)
	_, got := do(t, h, "GET", "/", "", nil)
	s := asJSON(got)
	for _, want := range []string{`"name":"urlscan-relay"`, `"version":"9.9.9"`, `/observe/observables`, `/respond/trigger`} {
		if !strings.Contains(s, want) {
			t.Errorf("index %s lacks %s", s, want)
		}
	}
}

func TestReadyzWhileDraining(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{}, func(d *Deps) { d.Ready = func() bool { return false } })
	res, got := do(t, h, "GET", "/readyz", "", nil)
	if res.StatusCode != http.StatusServiceUnavailable || got["status"] != "draining" {
		t.Errorf("readyz while draining = %d %v, want 503 draining", res.StatusCode, got)
	}
}

func TestNothingSupportedNeedsNoToken(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/observe/observables", `{"data":{}}`},
		{"/deliberate/observables", `{"data":{}}`},
		{"/refer/observables", `{"data":[]}`},
		{"/respond/observables", `{"data":[]}`},
	}
	for _, body := range []string{`[]`, `[{"type":"email","value":"a@b.c"},{"type":"md5","value":"x"}]`} {
		for _, tt := range tests {
			rel := &fakeRelay{}
			h, v := newTestServer(t, rel, nil)
			_, got := do(t, h, "POST", tt.path, body, nil)
			if asJSON(got) != tt.want {
				t.Errorf("%s %s = %s, want %s", tt.path, body, asJSON(got), tt.want)
			}
			if v.calls.Load() != 0 || rel.calls.Load() != 0 {
				t.Errorf("%s %s touched the token or the relay", tt.path, body)
			}
		}
	}
}

func TestShapeIsCheckedBeforeToken(t *testing.T) {
	for _, path := range []string{"/observe/observables", "/deliberate/observables", "/refer/observables", "/respond/trigger", "/tiles/tile", "/tiles/tile-data"} {
		h, v := newTestServer(t, &fakeRelay{}, func(d *Deps) { d.Tiles = &countingTiles{} })
		_, got := do(t, h, "POST", path, `{"bad":`, nil)
		if !strings.Contains(asJSON(got), `"code":"invalid argument"`) {
			t.Errorf("%s with a bad body = %s, want invalid argument", path, asJSON(got))
		}
		if v.calls.Load() != 0 {
			t.Errorf("%s verified the token before checking the body", path)
		}
	}
}

func TestLimits(t *testing.T) {
	rel := &fakeRelay{}
	tl := &countingTiles{}
	h, _ := newTestServer(t, rel, func(d *Deps) {
		d.Config.MaxBodyBytes = 128
		d.Config.MaxObservables = 2
		d.Tiles = tl
	})
	long := strings.Repeat("1", 200)
	for _, tc := range []struct{ path, body string }{
		{"/observe/observables", `[{"type":"ip","value":"` + long + `"}]`},
		{"/respond/trigger", `{"action-id":"a","observable_type":"url","observable_value":"` + long + `"}`},
		{"/tiles/tile-data", `{"tile_id":"` + long + `","period":"last_7_days"}`},
	} {
		_, got := do(t, h, "POST", tc.path, tc.body, bearer)
		if s := asJSON(got); !strings.Contains(s, "MAX_BODY_BYTES=128") || !strings.Contains(s, "invalid argument") {
			t.Errorf("%s: oversized body = %s", tc.path, s)
		}
	}
	_, got := do(t, h, "POST", "/observe/observables", `[{"type":"ip","value":"1"},{"type":"ip","value":"2"},{"type":"ip","value":"3"}]`, bearer)
	if s := asJSON(got); !strings.Contains(s, "MAX_OBSERVABLES=2") {
		t.Errorf("too many observables = %s", s)
	}
	if rel.calls.Load() != 0 || tl.data.Load() != 0 {
		t.Errorf("relay called %d times, tile data %d, despite the limits", rel.calls.Load(), tl.data.Load())
	}
}

func TestPartialDataAndDedupedErrors(t *testing.T) {
	rel := &fakeRelay{
		observe: ctim.ObserveData{Verdicts: ctim.NewDocs([]ctim.Verdict{{Type: "verdict"}})},
		errs:    []error{tr.Unavailable(), tr.Unavailable(), tr.New(tr.NotFound, "The URLScan not found.")},
	}
	h, _ := newTestServer(t, rel, nil)
	_, got := do(t, h, "POST", "/observe/observables", `[{"type":"ip","value":"1.1.1.1"}]`, bearer)
	errs, _ := got["errors"].([]any)
	if len(errs) != 2 {
		t.Errorf("errors = %v, want the two distinct errors once each", got["errors"])
	}
	if !strings.Contains(asJSON(got["data"]), `"verdicts"`) {
		t.Errorf("data = %v, want the partial verdicts beside the errors", got["data"])
	}
	rel.observe = ctim.ObserveData{}
	_, got = do(t, h, "POST", "/observe/observables", `[{"type":"ip","value":"1.1.1.1"}]`, bearer)
	if _, has := got["data"]; has {
		t.Errorf("empty data should be left out beside errors: %v", got)
	}
}

func TestPanicBecomesTRError(t *testing.T) {
	h, _ := newTestServer(t, &fakeRelay{panics: true}, nil)
	res, got := do(t, h, "POST", "/observe/observables", `[{"type":"ip","value":"1.1.1.1"}]`, bearer)
	if res.StatusCode != 200 || asJSON(got) != `{"errors":[{"code":"unknown","message":"Unexpected error.","type":"fatal"}]}` {
		t.Errorf("panic answered %d %s", res.StatusCode, asJSON(got))
	}
}

func TestTrigger(t *testing.T) {
	rel := &fakeRelay{}
	h, _ := newTestServer(t, rel, nil)
	body := `{"action-id":"a","observable_type":"url","observable_value":"http://x","visibility":"private","extra":"ok"}`
	_, got := do(t, h, "POST", "/respond/trigger", body, bearer)
	if asJSON(got) != `{"data":{"status":"success"}}` {
		t.Errorf("trigger = %s", asJSON(got))
	}
	want := relay.Trigger{ActionID: "a", ObservableType: "url", ObservableValue: "http://x", Visibility: "private"}
	if rel.trigger != want {
		t.Errorf("relay got %+v, want %+v", rel.trigger, want)
	}
	_, got = do(t, h, "POST", "/respond/trigger", body, nil)
	if s := asJSON(got); !strings.Contains(s, `"status":"failure"`) || !strings.Contains(s, "authorization error") {
		t.Errorf("unauthorized trigger = %s", s)
	}
	_, got = do(t, h, "POST", "/respond/trigger", `{"action-id":"a","observable_type":"url"}`, bearer)
	if s := asJSON(got); !strings.Contains(s, "observable_value") || !strings.Contains(s, "Missing data") {
		t.Errorf("trigger without value = %s", s)
	}
}

func TestAudiences(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Deps)
		header map[string]string
		want   string
	}{
		{"request host", nil, map[string]string{"X-Forwarded-Host": "evil.example"}, "http://relay.example,http://relay.example/"},
		{"trusted proxy", func(d *Deps) { d.Config.TrustProxyHeaders = true },
			map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "Relay.Public.Example"},
			"https://relay.public.example,https://relay.public.example/"},
		{"configured", func(d *Deps) { d.Config.RelayAudience = []string{"https://a.example", "https://b.example"} }, nil,
			"https://a.example,https://a.example/,https://b.example,https://b.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, v := newTestServer(t, &fakeRelay{}, tt.mutate)
			req := httptest.NewRequest("POST", "http://relay.example/health", nil)
			req.Header.Set("Authorization", "Bearer good")
			for k, val := range tt.header {
				req.Header.Set(k, val)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got := strings.Join(v.audiences, ","); got != tt.want {
				t.Errorf("audiences = %s, want %s", got, tt.want)
			}
		})
	}
}
