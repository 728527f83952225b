package urlscan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestDecodeKeepsStringsWithinBounds(t *testing.T) {
	long := func(n int) string { return "https://x.example/" + strings.Repeat("a", n) }
	doc := fmt.Sprintf(`{"results":[{"_id":"a","page":{"url":%q,"domain":%q,"ip":%q}},{"_id":"b","page":{"url":%q,"domain":"d.example","ip":"1.2.3.4"}}]}`,
		long(maxURLBytes), strings.Repeat("d", 300), strings.Repeat("1", 50), long(100))
	hits, err := decodeSearch([]byte(doc), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Fatalf("got %d hits, want 2", len(hits))
	}
	if p := hits[0].Page; p.URL != "" || p.Domain != "" || p.IP != "" {
		t.Errorf("over-long page fields kept: %d, %d, %d bytes", len(p.URL), len(p.Domain), len(p.IP))
	}
	if p := hits[1].Page; p.URL != long(100) || p.Domain != "d.example" || p.IP != "1.2.3.4" {
		t.Errorf("fields within bounds lost: %+v", p)
	}

	eight := strings.Repeat("u", 8<<20)
	tags := make([]string, 100)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag%d", i)
	}
	tags[1] = strings.Repeat("t", maxTagBytes+1)
	tj, _ := json.Marshal(tags)
	rdoc := fmt.Sprintf(`{"task":{"reportURL":%q,"domURL":%q,"screenshotURL":"https://urlscan.io/s.png"},"verdicts":{"overall":{"malicious":true,"tags":%s,"categories":%s}},"page":{"url":%q,"domain":"d.example","ip":"1.2.3.4"}}`, eight, eight, tj, tj, eight)
	r, err := decodeResultBytes([]byte(rdoc))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReportURL != "" || r.DomURL != "" || r.ScreenshotURL != "https://urlscan.io/s.png" {
		t.Errorf("links: report %d bytes, dom %d bytes, screenshot %q; want the 8 MiB ones dropped", len(r.ReportURL), len(r.DomURL), r.ScreenshotURL)
	}
	if len(r.Tags) != maxTags || len(r.Categories) != maxTags || r.Tags[1] != "tag2" {
		t.Errorf("kept %d tags and %d categories (second tag %q), want %d without the over-long one", len(r.Tags), len(r.Categories), r.Tags[1], maxTags)
	}
	if p := r.Page; p.URL != "" || p.Domain != "d.example" || p.IP != "1.2.3.4" {
		t.Errorf("result page: url %d bytes, %q, %q; want the 8 MiB url dropped and the rest kept", len(p.URL), p.Domain, p.IP)
	}
	if err := CheckResult(r); err != nil {
		t.Errorf("CheckResult of a decoded result: %v", err)
	}
}

func TestDecodeSearchKeepsTheNewestSize(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n, size = 2000, 10
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for k, i := range order {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"_id":"id-%d","task":{"time":%q}}`, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	// Unknown times come last, and equal times keep urlscan's order.
	b.WriteString(`,{"_id":"no-time"},{"_id":"tie-1","task":{"time":"` + base.Add(n*time.Minute).Format(time.RFC3339) + `"}},{"_id":"tie-2","task":{"time":"` + base.Add(n*time.Minute).Format(time.RFC3339) + `"}}]}`)
	hits, err := decodeSearch([]byte(b.String()), size)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tie-1", "tie-2"}
	for i := n - 1; len(want) < size; i-- {
		want = append(want, fmt.Sprintf("id-%d", i))
	}
	var got []string
	for _, h := range hits {
		got = append(got, h.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("kept %v\nwant %v", got, want)
	}
	all, _ := decodeSearch([]byte(b.String()), 0)
	if len(all) != n+3 || all[len(all)-1].ID != "no-time" {
		t.Errorf("size 0 kept %d hits ending with %q, want all %d ending with the unknown time", len(all), all[len(all)-1].ID, n+3)
	}
}

func TestSearchLimitFitsTheSize(t *testing.T) {
	for _, tc := range []struct {
		size int
		want int64
	}{
		{0, searchBytesBase + 100*searchBytesPerHit},
		{10, searchBytesBase + 10*searchBytesPerHit},
		{1000, searchBytesBase + 1000*searchBytesPerHit},
		{100000, 32 << 20},
	} {
		if got := searchLimit(tc.size, 32<<20); got != tc.want {
			t.Errorf("searchLimit(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
	// A real answer of 1000 hits is about 1.2 MB; the limit leaves room.
	if got := searchLimit(1000, 32<<20); got < 4*1_200_000 || got > 10<<20 {
		t.Errorf("searchLimit(1000) = %d, want a few times 1.2 MB", got)
	}
}

func TestCheckHitsAndResult(t *testing.T) {
	ok := Hit{ID: "0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", Stats: []Stat{{Name: "requests", Value: "12"}}, Page: Page{URL: "https://x.example/", Domain: "x.example", IP: "192.0.2.1"}}
	if err := CheckHits([]Hit{ok}); err != nil {
		t.Errorf("CheckHits(valid) = %v", err)
	}
	bad := map[string]func(*Hit){
		"path id":       func(h *Hit) { h.ID = "../../../evil?x=1#" },
		"empty id":      func(h *Hit) { h.ID = "" },
		"huge url":      func(h *Hit) { h.Page.URL = strings.Repeat("u", maxURLBytes+1) },
		"huge domain":   func(h *Hit) { h.Page.Domain = strings.Repeat("d", maxDomainBytes+1) },
		"huge ip":       func(h *Hit) { h.Page.IP = strings.Repeat("1", maxIPBytes+1) },
		"float stat":    func(h *Hit) { h.Stats = []Stat{{Name: "s", Value: "1.5"}} },
		"1e999 stat":    func(h *Hit) { h.Stats = []Stat{{Name: "s", Value: "1e999"}} },
		"text stat":     func(h *Hit) { h.Stats = []Stat{{Name: "s", Value: `1,"x":2`}} },
		"plus stat":     func(h *Hit) { h.Stats = []Stat{{Name: "s", Value: "+1"}} },
		"nameless stat": func(h *Hit) { h.Stats = []Stat{{Name: "", Value: "1"}} },
		"many stats":    func(h *Hit) { h.Stats = make([]Stat, maxStats+1) },
	}
	for name, mod := range bad {
		h := ok
		mod(&h)
		if err := CheckHits([]Hit{ok, h}); err == nil {
			t.Errorf("CheckHits(%s) = nil, want an error", name)
		}
	}
	if err := CheckResult(nil); err != nil {
		t.Errorf("CheckResult(nil) = %v, want nil: a deleted scan", err)
	}
	for name, r := range map[string]*Result{
		"huge report": {ReportURL: strings.Repeat("r", maxLinkBytes+1)},
		"huge dom":    {DomURL: strings.Repeat("r", maxLinkBytes+1)},
		"huge shot":   {ScreenshotURL: strings.Repeat("r", maxLinkBytes+1)},
		"many tags":   {Tags: make([]string, maxTags+1)},
		"huge tag":    {Categories: []string{strings.Repeat("c", maxTagBytes+1)}},
		"huge page":   {Page: Page{URL: strings.Repeat("u", maxURLBytes+1)}},
	} {
		if err := CheckResult(r); err == nil {
			t.Errorf("CheckResult(%s) = nil, want an error", name)
		}
	}
}

func TestValidInteger(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "12": true, "-7": true, "9223372036854775807": true, "-9223372036854775808": true,
		"": false, "-": false, "-0": true, "007": false, "+1": false, "1.0": false, "1e3": false, "1e999": false,
		"9223372036854775808": false, "99999999999999999999": false, " 1": false,
	} {
		if got := validInteger(s); got != want {
			t.Errorf("validInteger(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSearchAnswerCappedBySize(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	// Well inside the 32 MiB document limit, far past what 10 hits take.
	srv.Inject(urlscantest.Fault{Endpoint: "search", BodySize: 4 << 20})
	c := newClient(t, srv.URL, nil)
	_, err := c.Search(t.Context(), testKey, fixtureQuery, 10)
	if te := tr.From(err); te == nil || te.Message != msgTooLarge {
		t.Errorf("4 MiB answer to a search of 10: err = %v, want %q", err, msgTooLarge)
	}
	// The same answer is within the bound of a search of 1000.
	if _, err := c.Search(t.Context(), testKey, fixtureQuery, 1000); err != nil && tr.From(err).Message == msgTooLarge {
		t.Errorf("4 MiB answer to a search of 1000: %v, want it read", err)
	}
}
