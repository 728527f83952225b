package urlscantest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newServer(t *testing.T, o Options) (*Server, *http.Client) {
	t.Helper()
	s := NewServer(o)
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.Close()
	})
	return s, &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string, header http.Header) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func search(s *Server, q string, size int) string {
	v := url.Values{"q": {q}}
	if size > 0 {
		v.Set("size", strconv.Itoa(size))
	}
	return s.URL + "/search/?" + v.Encode()
}

type searchDoc struct {
	Results []struct {
		ID   string `json:"_id"`
		Task struct {
			Time time.Time `json:"time"`
		} `json:"task"`
		Page struct {
			URL, Domain, IP string
		} `json:"page"`
		Stats json.RawMessage `json:"stats"`
	} `json:"results"`
}

func TestFixtures(t *testing.T) {
	s, c := newServer(t, Options{})
	_, body, err := get(t, c, search(s, `page.ip:"1.1.1.1"`, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustFixture("search_ip_1.1.1.1.json"); !bytes.Equal(body, want) {
		t.Errorf("got %s, want the fixture", body)
	}
	_, body, _ = get(t, c, search(s, `page.ip:"1.1.1.1"`, 1), nil)
	var doc searchDoc
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Results) != 1 || doc.Results[0].ID != "13cde17f-a7f5-4e27-8a56-5e81bc086a37" {
		t.Errorf("size 1: got %s, %v", body, err)
	}
	for _, id := range []string{"13cde17f-a7f5-4e27-8a56-5e81bc086a37", "14afd7c3-aee5-4906-acde-9a706ce5bb40"} {
		_, body, _ := get(t, c, s.URL+"/result/"+id+"/", nil)
		if want := mustFixture("result_" + id + ".json"); !bytes.Equal(body, want) {
			t.Errorf("%s: got %.80s…, want the fixture", id, body)
		}
	}
	if got := s.Calls("search") + s.Calls("result"); got != 4 {
		t.Errorf("got %d calls, want 4", got)
	}
}

func TestGeneratedSearch(t *testing.T) {
	s, c := newServer(t, Options{Hits: 10})
	tests := []struct {
		query         string
		domain, ip, u string
	}{
		{query: `page.domain:"example.com"`, domain: "example.com"},
		{query: `page.ip:"2606:4700::1"`, ip: "2606:4700::1"},
		{query: `page.url:"https://a.example/x?\"q\""`, domain: "a.example", u: `https://a.example/x?"q"`},
		{query: `page.url.keyword:"https://a.example/x?\"q\""`, domain: "a.example", u: `https://a.example/x?"q"`},
		{query: `hash:"abc"`},
	}
	for _, tc := range tests {
		_, body, err := get(t, c, search(s, tc.query, 100), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, again, _ := get(t, c, search(s, tc.query, 100), nil)
		if !bytes.Equal(body, again) {
			t.Errorf("%s: answers differ between calls", tc.query)
		}
		var doc searchDoc
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Results) != 10 {
			t.Fatalf("%s: got %d hits, want 10", tc.query, len(doc.Results))
		}
		sorted := true
		for i, h := range doc.Results {
			if (tc.domain != "" && h.Page.Domain != tc.domain) || (tc.ip != "" && h.Page.IP != tc.ip) || (tc.u != "" && h.Page.URL != tc.u) {
				t.Errorf("%s: hit page %+v does not match", tc.query, h.Page)
			}
			if !validID(h.ID) || len(h.ID) != 36 {
				t.Errorf("%s: id %q is not a uuid", tc.query, h.ID)
			}
			if !strings.HasPrefix(string(h.Stats), `{"uniqIPs":`) || strings.Count(string(h.Stats), ":") != 5 {
				t.Errorf("%s: stats %s", tc.query, h.Stats)
			}
			if i > 0 && h.Task.Time.After(doc.Results[i-1].Task.Time) {
				sorted = false
			}
		}
		if sorted {
			t.Errorf("%s: hits already newest first; the client's sorting would go untested", tc.query)
		}
		_, body, _ = get(t, c, search(s, tc.query, 3), nil)
		if err := json.Unmarshal(body, &doc); err != nil || len(doc.Results) != 3 {
			t.Errorf("%s size 3: got %d hits, %v", tc.query, len(doc.Results), err)
		}
	}
}

func TestGeneratedResult(t *testing.T) {
	s, c := newServer(t, Options{DocBytes: 300 << 10})
	_, body, _ := get(t, c, search(s, `page.domain:"example.org"`, 100), nil)
	var doc searchDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	malicious := 0
	for _, h := range doc.Results {
		resp, body, err := get(t, c, s.URL+"/result/"+h.ID+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(body); n < 290<<10 || n > 330<<10 {
			t.Errorf("got a %d-byte document, want about 300 KiB", n)
		}
		if resp.Header.Get("X-Rate-Limit-Remaining") == "" || resp.Header.Get("X-Rate-Limit-Action") != "retrieve" {
			t.Errorf("rate-limit headers missing: %v", resp.Header)
		}
		var r struct {
			Data struct {
				Requests []json.RawMessage `json:"requests"`
			} `json:"data"`
			Task struct {
				UUID string    `json:"uuid"`
				Time time.Time `json:"time"`
			} `json:"task"`
			Verdicts struct {
				Overall struct {
					Malicious  bool     `json:"malicious"`
					Categories []string `json:"categories"`
					Tags       []string `json:"tags"`
				} `json:"overall"`
			} `json:"verdicts"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("document is not valid JSON: %v", err)
		}
		if r.Task.UUID != h.ID || !r.Task.Time.Equal(h.Task.Time) || len(r.Data.Requests) < 50 {
			t.Errorf("document disagrees with its hit or lacks requests: uuid %s time %v, %d requests", r.Task.UUID, r.Task.Time, len(r.Data.Requests))
		}
		if r.Verdicts.Overall.Malicious {
			malicious++
			if len(r.Verdicts.Overall.Categories) != 1 || len(r.Verdicts.Overall.Tags) == 0 {
				t.Errorf("malicious verdict %+v lacks category or tags", r.Verdicts.Overall)
			}
		}
	}
	if malicious == 0 || malicious == len(doc.Results) {
		t.Errorf("got %d malicious of %d, want some", malicious, len(doc.Results))
	}
	if resp, _, _ := get(t, c, s.URL+"/result/not..valid/", nil); resp.StatusCode != 404 {
		t.Errorf("invalid id: got %d, want 404", resp.StatusCode)
	}
}

func TestScan(t *testing.T) {
	s, c := newServer(t, Options{})
	post := func(body string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/scan/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := post(`{"url":"https://x.example/","visibility":"unlisted"}`)
	var ans map[string]any
	if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != 200 || ans["url"] != "https://x.example/" || ans["visibility"] != "unlisted" || ans["uuid"] == nil {
		t.Errorf("got %d %s, want the fixture echoing url and visibility", resp.StatusCode, body)
	}
	if resp, _ := post(`{}`); resp.StatusCode != 400 {
		t.Errorf("no url: got %d, want 400", resp.StatusCode)
	}
	if reqs := s.Requests(); len(reqs) != 2 || reqs[0].Body != `{"url":"https://x.example/","visibility":"unlisted"}` {
		t.Errorf("got requests %+v", reqs)
	}
}

func TestAPIKey(t *testing.T) {
	s, c := newServer(t, Options{APIKey: "k1"})
	for _, tc := range []struct {
		header http.Header
		status int
		has    bool
	}{{http.Header{"Api-Key": {"k1"}}, 200, true}, {http.Header{"Api-Key": {"k2"}}, 401, true}, {nil, 401, false}} {
		resp, _, err := get(t, c, search(s, "x", 1), tc.header)
		if err != nil || resp.StatusCode != tc.status {
			t.Errorf("header %v: got %v %v, want %d", tc.header, resp.StatusCode, err, tc.status)
		}
	}
	reqs := s.Requests()
	for i, want := range []bool{true, true, false} {
		if reqs[i].KeyPresent != want {
			t.Errorf("request %d: KeyPresent %v, want %v", i, reqs[i].KeyPresent, want)
		}
	}
}

func TestFaults(t *testing.T) {
	s, c := newServer(t, Options{})
	s.Inject(Fault{Endpoint: "search", Match: "bad", Status: 429, Header: http.Header{"X-Rate-Limit-Reset-After": {"3"}}, Times: 2})
	s.Inject(Fault{Endpoint: "result", Status: 410})
	s.Inject(Fault{Endpoint: "search", Match: "loop", Status: 301})
	s.Inject(Fault{Endpoint: "search", Match: "raw", Body: "<html>"})
	s.Inject(Fault{Endpoint: "search", Match: "big", BodySize: 100 << 10})

	for i, want := range []int{429, 429, 200} {
		resp, _, _ := get(t, c, search(s, "a bad one", 1), nil)
		if resp.StatusCode != want {
			t.Errorf("call %d: got %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("X-Rate-Limit-Reset-After") != "3" {
			t.Errorf("call %d: headers %v", i, resp.Header)
		}
	}
	if resp, _, _ := get(t, c, search(s, "fine", 1), nil); resp.StatusCode != 200 {
		t.Errorf("unmatched search: got %d", resp.StatusCode)
	}
	if resp, _, _ := get(t, c, s.URL+"/result/abc/", nil); resp.StatusCode != 410 {
		t.Errorf("result: got %d, want 410", resp.StatusCode)
	}
	u := search(s, "loop", 1)
	if resp, _, _ := get(t, c, u, nil); resp.StatusCode != 301 || s.ts.URL+resp.Header.Get("Location") != u {
		t.Errorf("redirect: got %d to %q, want 301 to itself", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body, _ := get(t, c, search(s, "raw", 1), nil); string(body) != "<html>" {
		t.Errorf("raw body: got %q", body)
	}
	if resp, body, _ := get(t, c, search(s, "big", 1), nil); len(body) != 100<<10 || resp.ContentLength != -1 || !json.Valid(body) {
		t.Errorf("big body: got %d bytes, length %d", len(body), resp.ContentLength)
	}
}

func TestConnectionFaults(t *testing.T) {
	s, c := newServer(t, Options{})
	s.Inject(Fault{Endpoint: "search", Match: "drop", Drop: true})
	s.Inject(Fault{Endpoint: "search", Match: "reset", Reset: true})
	s.Inject(Fault{Endpoint: "search", Match: "slow", Delay: time.Second})

	if _, _, err := get(t, c, search(s, "drop", 1), nil); err == nil {
		t.Error("drop: got an answer")
	}
	resp, _, err := get(t, c, search(s, "reset", 1), nil)
	if resp == nil || resp.StatusCode != 200 || err == nil {
		t.Errorf("reset: got %v, %v; want a 200 whose body breaks", resp, err)
	} else if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reset: got %v, want a reset connection", err)
	}
	slow := &http.Client{Transport: c.Transport, Timeout: 50 * time.Millisecond}
	start := time.Now()
	if _, _, err := get(t, slow, search(s, "slow", 1), nil); err == nil || time.Since(start) > 900*time.Millisecond {
		t.Errorf("slow: got %v after %v, want a client timeout", err, time.Since(start))
	}
}

func TestFailEvery(t *testing.T) {
	s, c := newServer(t, Options{FailEvery: 2})
	failed := 0
	for range 12 {
		resp, _, err := get(t, c, search(s, "x", 1), nil)
		if err != nil || resp.StatusCode != 200 {
			failed++
		}
	}
	if failed != 6 {
		t.Errorf("got %d failures in 12 calls, want 6", failed)
	}
	s.Reset()
	if got := s.Calls("search"); got != 0 {
		t.Errorf("after Reset: got %d calls", got)
	}
}

func TestLatency(t *testing.T) {
	s, c := newServer(t, Options{Latency: 30 * time.Millisecond})
	start := time.Now()
	if _, _, err := get(t, c, search(s, "x", 1), nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v, want at least 30ms", d)
	}
}

// BenchmarkServeResult measures how many 300 KiB documents the fake serves
// a second over loopback.
func BenchmarkServeResult(b *testing.B) {
	s := NewServer(Options{DocBytes: 300 << 10})
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	ids := make([]string, 256)
	for i := range ids {
		ids[i] = uuidFrom(seeded(strconv.Itoa(i)))
	}
	b.ReportAllocs()
	b.SetBytes(300 << 10)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			resp, err := c.Get(s.URL + "/result/" + ids[i%len(ids)] + "/")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
