package urlscan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestErrorMapping(t *testing.T) {
	dnsError := `{"message":"DNS Error - Could not resolve domain","description":"The domain nope.invalid could not be resolved to a valid IPv4/IPv6 address. We won't be able to scan it.","status":400}`
	dnsMessage := "DNS Error - Could not resolve domain: The domain nope.invalid could not be resolved to a valid IPv4/IPv6 address. We won't be able to scan it."
	tests := []struct {
		name     string
		endpoint string
		fault    urlscantest.Fault
		maxDoc   int64
		timeout  time.Duration
		code     tr.Code
		msg      string
		status   int
		gone     bool
	}{
		{name: "search 401", endpoint: "search", fault: urlscantest.Fault{Status: 401}, code: tr.PermissionDenied, msg: tr.MsgMissingKey, status: 401},
		{name: "result 403", endpoint: "result", fault: urlscantest.Fault{Status: 403}, code: tr.PermissionDenied, msg: tr.MsgMissingKey, status: 403},
		{name: "scan 401", endpoint: "scan", fault: urlscantest.Fault{Status: 401}, code: tr.PermissionDenied, msg: tr.MsgMissingKey, status: 401},
		{name: "search 404", endpoint: "search", fault: urlscantest.Fault{Status: 404}, code: tr.NotFound, msg: "The URLScan not found.", status: 404},
		{name: "result 404", endpoint: "result", fault: urlscantest.Fault{Status: 404}, code: tr.NotFound, msg: "The URLScan not found.", status: 404, gone: true},
		{name: "result 410", endpoint: "result", fault: urlscantest.Fault{Status: 410}, code: tr.NotFound, msg: "The URLScan not found.", status: 410, gone: true},
		{name: "scan 404", endpoint: "scan", fault: urlscantest.Fault{Status: 404}, code: tr.Unknown, msg: "404 Not Found", status: 404},
		{name: "search 429 untold wait", endpoint: "search", fault: urlscantest.Fault{Status: 429}, code: tr.TooManyRequests, msg: tr.MsgTooMany, status: 429},
		{name: "search 500", endpoint: "search", fault: urlscantest.Fault{Status: 500}, code: tr.InternalError, msg: "The URLScan internal error.", status: 500},
		{name: "result 500", endpoint: "result", fault: urlscantest.Fault{Status: 500}, code: tr.InternalError, msg: "The URLScan internal error.", status: 500},
		{name: "search 502", endpoint: "search", fault: urlscantest.Fault{Status: 502}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable, status: 502},
		{name: "result 503", endpoint: "result", fault: urlscantest.Fault{Status: 503}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable, status: 503},
		{name: "scan 504", endpoint: "scan", fault: urlscantest.Fault{Status: 504}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable, status: 504},
		{name: "search 400", endpoint: "search", fault: urlscantest.Fault{Status: 400, Body: dnsError}, code: tr.BadRequest, msg: dnsMessage, status: 400},
		{name: "scan 400", endpoint: "scan", fault: urlscantest.Fault{Status: 400, Body: dnsError}, code: tr.BadRequest, msg: dnsMessage, status: 400},
		{name: "scan 400 message only", endpoint: "scan", fault: urlscantest.Fault{Status: 400, Body: `{"message":"Scan prevented: the domain is blacklisted","status":400}`}, code: tr.BadRequest, msg: "Scan prevented: the domain is blacklisted", status: 400},
		{name: "scan 400 not JSON", endpoint: "scan", fault: urlscantest.Fault{Status: 400, Body: "<html>bad</html>"}, code: tr.BadRequest, msg: "urlscan refused the request.", status: 400},
		{name: "result 400", endpoint: "result", fault: urlscantest.Fault{Status: 400, Body: `{"message":"Bad id"}`}, code: tr.Unknown, msg: "400 Bad id", status: 400},
		{name: "search 418 with message", endpoint: "search", fault: urlscantest.Fault{Status: 418, Body: `{"message":"short and stout"}`}, code: tr.Unknown, msg: "418 short and stout", status: 418},
		{name: "search 418 bare", endpoint: "search", fault: urlscantest.Fault{Status: 418, Body: "x"}, code: tr.Unknown, msg: "418 I'm a teapot", status: 418},
		{name: "search not JSON", endpoint: "search", fault: urlscantest.Fault{Body: "<html>maintenance</html>"}, code: tr.Unknown, msg: "urlscan answer is not valid JSON", status: 200},
		{name: "result truncated", endpoint: "result", fault: urlscantest.Fault{Body: `{"task":{"time":"2020-`}, code: tr.Unknown, msg: "urlscan answer is not valid JSON", status: 200},
		{name: "result a list", endpoint: "result", fault: urlscantest.Fault{Body: `[1,2]`}, code: tr.Unknown, msg: "urlscan answer is not a JSON object", status: 200},
		{name: "scan null", endpoint: "scan", fault: urlscantest.Fault{Body: `null`}, code: tr.Unknown, msg: "urlscan answer is not a JSON object", status: 200},
		{name: "search reset mid-body", endpoint: "search", fault: urlscantest.Fault{Reset: true}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable},
		{name: "result reset mid-body", endpoint: "result", fault: urlscantest.Fault{Reset: true}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable},
		{name: "scan dropped", endpoint: "scan", fault: urlscantest.Fault{Drop: true}, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable},
		{name: "search timeout", endpoint: "search", fault: urlscantest.Fault{Delay: time.Second}, timeout: 50 * time.Millisecond, code: tr.ServiceUnavailable, msg: tr.MsgUnavailable},
		{name: "search redirect loop", endpoint: "search", fault: urlscantest.Fault{Status: 301}, code: tr.Unknown, msg: "urlscan answered with a redirect that was not followed"},
		{name: "scan redirect away", endpoint: "scan", fault: urlscantest.Fault{Status: 307, Header: http.Header{"Location": {"http://127.0.0.2:9/steal"}}}, code: tr.Unknown, msg: "urlscan answered with a redirect that was not followed"},
		{name: "result oversized stream", endpoint: "result", fault: urlscantest.Fault{BodySize: 200 << 10}, maxDoc: 64 << 10, code: tr.Unknown, msg: "urlscan answer too large"},
		{name: "search oversized announced", endpoint: "search", fault: urlscantest.Fault{Body: `{"results":[],"x":"` + strings.Repeat("a", 100<<10) + `"}`}, maxDoc: 64 << 10, code: tr.Unknown, msg: "urlscan answer too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, urlscantest.Options{})
			f := tc.fault
			f.Endpoint = tc.endpoint
			srv.Inject(f)
			c := newClient(t, srv.URL, func(o *Options) {
				o.MaxDocumentBytes = tc.maxDoc
				if tc.timeout > 0 {
					o.Timeout = tc.timeout
				}
			})
			err := callEndpoint(t.Context(), c, tc.endpoint, testKey)
			if err == nil {
				t.Fatal("got no error")
			}
			got := tr.From(err)
			if got.Code != tc.code || got.Message != tc.msg {
				t.Errorf("got %q %q, want %q %q", got.Code, got.Message, tc.code, tc.msg)
			}
			var ue *Error
			if !errors.As(err, &ue) {
				t.Fatalf("got %T, want *Error", err)
			}
			if ue.Status != tc.status || ue.Endpoint != tc.endpoint {
				t.Errorf("got status %d endpoint %q, want %d %q", ue.Status, ue.Endpoint, tc.status, tc.endpoint)
			}
			if got := errors.Is(err, ErrResultGone); got != tc.gone {
				t.Errorf("errors.Is(err, ErrResultGone) = %v, want %v", got, tc.gone)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(got.Message, testKey) {
				t.Errorf("error %q reveals the API key", err)
			}
		})
	}
}

func TestUpstreamMessageNeverRepeatsKey(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "scan", Status: 400, Body: `{"message":"Key ` + testKey + ` is not allowed\nto scan"}`})
	c := newClient(t, srv.URL, nil)
	err := callEndpoint(t.Context(), c, "scan", testKey)
	got := tr.From(err).Message
	if want := "Key [redacted] is not allowed to scan"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTLSVerificationFailure(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"results":[]}`))
	}))
	defer ts.Close()

	untrusting := newClient(t, ts.URL+"/api/v1", func(o *Options) { o.RootCAs = x509.NewCertPool() })
	err := callEndpoint(t.Context(), untrusting, "search", testKey)
	got := tr.From(err)
	if got.Code != tr.Unknown || !strings.HasPrefix(got.Message, "Unable to verify SSL certificate: x509: ") {
		t.Errorf("got %q %q, want unknown and an x509 reason", got.Code, got.Message)
	}

	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	trusting := newClient(t, ts.URL+"/api/v1", func(o *Options) { o.RootCAs = pool })
	if err := callEndpoint(t.Context(), trusting, "search", testKey); err != nil {
		t.Errorf("with the server's CA trusted: %v", err)
	}
	if tlsCfg := defaultTransport(pool).TLSClientConfig; tlsCfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("got TLS minimum %x, want TLS 1.2", tlsCfg.MinVersion)
	}
}

func TestCallerDeadline(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "search", Delay: time.Second})
	c := newClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(t.Context(), minCallBudget+250*time.Millisecond)
	defer cancel()
	err := callEndpoint(ctx, c, "search", testKey)
	if got := tr.From(err); got.Code != tr.ServiceUnavailable {
		t.Errorf("got %v, want service unavailable", got)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want it to match context.DeadlineExceeded", err)
	}
	if got := srv.Calls("search"); got != 1 {
		t.Errorf("got %d calls, want 1: the caller's timeout is not retried", got)
	}
}

func TestUpstreamMessageRedactsEverySpelling(t *testing.T) {
	const key = "5f0c9a7e-41d2-4b8e-9c3a-7d6e2f1b0a94"
	upper := strings.ToUpper(key)
	zw := key[:10] + "\u200b" + key[10:20] + "\u2060" + key[20:]
	tests := []struct {
		name, body string
		want       string
	}{
		{"exact", `{"message":"Key ` + key + ` refused"}`, "Key [redacted] refused"},
		{"lower case of an upper-case key", `{"message":"key ` + strings.ToLower(upper) + `"}`, "key [redacted]"},
		{"upper case", `{"message":"KEY ` + upper + `"}`, "KEY [redacted]"},
		{"zero-width characters inside", `{"message":"key ` + zw + ` refused"}`, "key [redacted] refused"},
		{"split between message and description", `{"message":"Your key ` + key[:18] + `","description":"` + key[18:] + ` is not allowed"}`, "Your key [redacted]: [redacted] is not allowed"},
		{"no key", `{"message":"Quota exceeded for 5f0c"}`, "Quota exceeded for 5f0c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := upstreamMessage([]byte(tc.body), key)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			folded := strings.ToLower(got)
			for i := 0; i+minKeyFragment <= len(key); i++ {
				if strings.Contains(folded, key[i:i+minKeyFragment]) {
					t.Errorf("%q still holds %q of the key", got, key[i:i+minKeyFragment])
				}
			}
		})
	}
}
