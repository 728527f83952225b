package urlscan

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// memberReader is a result document of about size bytes, made as it is
// read: a big data.requests first, then the members the relay keeps.
func memberReader(size int) io.Reader {
	request := []byte(`{"url":"https://example.com/a\"b","headers":{"x":"[{\\"},"sizes":[1,2,3]},`)
	return io.MultiReader(
		strings.NewReader(`{"data":{"requests":[`),
		io.LimitReader(repeatReader(request), int64(size/len(request)*len(request))),
		strings.NewReader(`{}]},"task":{"reportURL":"r"},"verdicts":{"overall":{"malicious":true}}}`))
}

type repeatedReader struct {
	b []byte
	i int
}

func repeatReader(b []byte) io.Reader { return &repeatedReader{b: b} }

func (r *repeatedReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.i:])
		n += c
		r.i = (r.i + c) % len(r.b)
	}
	return n, nil
}

// bodyTransport answers every request with a 200 and a body made by body.
type bodyTransport struct{ body func() io.Reader }

func (bt bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bt.body()), ContentLength: -1, Request: req}, nil
}

// Client.Result decodes the body as it arrives: a document of 16 MiB
// costs about a window, not 16 MiB.
func TestResultStreamsBody(t *testing.T) {
	const size = 16 << 20
	c := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
		o.Transport = bodyTransport{func() io.Reader { return memberReader(size) }}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Result(t.Context(), testKey, fixtureIDs[0])
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReportURL != "r" || !res.Malicious {
		t.Errorf("got %+v, want the kept members", res)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("a %d MiB document allocated %d KiB, want under 1 MiB", size>>20, got>>10)
	}

	// Past the document limit the answer is refused as too large, as it
	// streams.
	small := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
		o.Transport = bodyTransport{func() io.Reader { return memberReader(size) }}
		o.MaxDocumentBytes = 1 << 20
	})
	_, err = small.Result(t.Context(), testKey, fixtureIDs[0])
	if !errors.Is(err, errTooLarge) {
		t.Errorf("got %v, want %v", err, errTooLarge)
	}
}

func TestResultURL(t *testing.T) {
	const id = "14afd7c3-aee5-4906-acde-9a706ce5bb40"
	for _, tt := range []struct{ base, id, want string }{
		{"https://urlscan.io", id, "https://urlscan.io/result/" + id + "/"},
		{"https://urlscan.io/api/v1", id, "https://urlscan.io/api/v1/result/" + id + "/"},
		// An id is one path segment, whatever it holds.
		{"https://ui.example", "a/../b?c#d e", "https://ui.example/result/a%2F..%2Fb%3Fc%23d%20e/"},
	} {
		if got := ResultURL(tt.base, tt.id); got != tt.want {
			t.Errorf("ResultURL(%q, %q) = %q, want %q", tt.base, tt.id, got, tt.want)
		}
	}
}
