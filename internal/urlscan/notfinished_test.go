package urlscan

import (
	"errors"
	"net/http"
	"testing"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestResultNotFinishedIsNotGone tells urlscan's two 404s apart: a scan
// still running is worth asking about again, one urlscan does not know is
// gone.
func TestResultNotFinishedIsNotGone(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	const id = "0196d976-07f6-7aae-8a57-aa019145f31c"
	for _, tt := range []struct {
		body           string
		finished, gone bool
		wantCode       tr.Code
	}{
		{`{"message":"Scan is not finished yet","description":"Please try again in a few seconds.","status":404}`, false, false, tr.NotFound},
		{`{"message":"Scan not found","description":"We could not find this scan.","status":404}`, true, true, tr.NotFound},
		{`not json`, true, true, tr.NotFound},
	} {
		srv.Reset()
		srv.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusNotFound, Body: tt.body, Times: 1})
		_, err := c.Result(t.Context(), testKey, id)
		if got := errors.Is(err, ErrScanNotFinished); got == tt.finished {
			t.Errorf("%s: errors.Is(ErrScanNotFinished) = %v", tt.body, got)
		}
		if got := errors.Is(err, ErrResultGone); got != tt.gone {
			t.Errorf("%s: errors.Is(ErrResultGone) = %v, want %v", tt.body, got, tt.gone)
		}
		if te := tr.From(err); te == nil || te.Code != tt.wantCode {
			t.Errorf("%s: TR error %v, want %s", tt.body, te, tt.wantCode)
		}
	}
}

// TestWithoutRetryMakesOneRequest: a poll spends one request, even on a
// failure the client would otherwise retry.
func TestWithoutRetryMakesOneRequest(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	const id = "0196d976-07f6-7aae-8a57-aa019145f31c"
	srv.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusServiceUnavailable})
	if _, err := c.Result(WithoutRetry(t.Context()), testKey, id); err == nil {
		t.Fatal("Result succeeded against a 503")
	}
	if n := srv.Calls("result"); n != 1 {
		t.Errorf("WithoutRetry: %d requests, want 1", n)
	}
	srv.Reset()
	srv.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusServiceUnavailable})
	_, _ = c.Result(t.Context(), testKey, id)
	if n := srv.Calls("result"); n != 2 {
		t.Errorf("without WithoutRetry: %d requests, want 2 (one retry)", n)
	}
}
