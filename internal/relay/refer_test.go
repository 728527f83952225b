package relay

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

func TestPercentEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.1.1.1", "1.1.1.1"},
		{"AZaz09-._~", "AZaz09-._~"},
		{"a b", "a%20b"},
		{"https://x.example/a/b?c=d&e=f#g", "https%3A%2F%2Fx.example%2Fa%2Fb%3Fc%3Dd%26e%3Df%23g"},
		{"2001:db8::1", "2001%3Adb8%3A%3A1"},
		{"bücher.example", "b%C3%BCcher.example"},
		{"例え.jp", "%E4%BE%8B%E3%81%88.jp"},
		{"+%\"'\\", "%2B%25%22%27%5C"},
		{"\x00\xff", "%00%FF"},
		{"", ""},
	} {
		if got := percentEncode(tc.in); got != tc.want {
			t.Errorf("percentEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReferReferences(t *testing.T) {
	for _, tc := range []struct {
		obs  ctim.Observable
		want []ctim.Reference
	}{
		{
			ctim.Observable{Type: "ipv6", Value: "2001:db8::1"},
			[]ctim.Reference{
				{ID: "ref-urlscan-browse-ipv6-2001%3Adb8%3A%3A1", Title: "Browse ipv6", Description: "Check this ipv6 status with urlscan.io", URL: "https://urlscan.test/ip/2001:db8::1", Categories: []string{"Browse", "urlscan.io"}},
				{ID: "ref-urlscan-search-ipv6-2001%3Adb8%3A%3A1", Title: "Search for this ipv6", Description: "Check this ipv6 status with urlscan.io", URL: `https://urlscan.test/search/#ip:"2001:db8::1"`, Categories: []string{"Search", "urlscan.io"}},
				{ID: "ref-urlscan-latest-ipv6-2001%3Adb8%3A%3A1", Title: "Latest scan report", Description: "Open the newest urlscan.io scan of this ipv6", URL: "https://urlscan.test/result/a/", Categories: []string{"urlscan.io", "Scan"}},
			},
		},
		{
			ctim.Observable{Type: "hostname", Value: "bücher.example"},
			[]ctim.Reference{
				{ID: "ref-urlscan-browse-hostname-b%C3%BCcher.example", Title: "Browse hostname", Description: "Check this hostname status with urlscan.io", URL: "https://urlscan.test/domain/b%C3%BCcher.example", Categories: []string{"Browse", "urlscan.io"}},
				{ID: "ref-urlscan-search-hostname-b%C3%BCcher.example", Title: "Search for this hostname", Description: "Check this hostname status with urlscan.io", URL: "https://urlscan.test/search/#domain:bücher.example", Categories: []string{"Search", "urlscan.io"}},
				{ID: "ref-urlscan-latest-hostname-b%C3%BCcher.example", Title: "Latest scan report", Description: "Open the newest urlscan.io scan of this hostname", URL: "https://urlscan.test/result/a/", Categories: []string{"urlscan.io", "Scan"}},
			},
		},
		{
			ctim.Observable{Type: "domain", Value: "a b/c"},
			[]ctim.Reference{
				{ID: "ref-urlscan-browse-domain-a%20b%2Fc", Title: "Browse domain", Description: "Check this domain status with urlscan.io", URL: "https://urlscan.test/domain/a%20b%2Fc", Categories: []string{"Browse", "urlscan.io"}},
				{ID: "ref-urlscan-search-domain-a%20b%2Fc", Title: "Search for this domain", Description: "Check this domain status with urlscan.io", URL: "https://urlscan.test/search/#domain:a b/c", Categories: []string{"Search", "urlscan.io"}},
				{ID: "ref-urlscan-latest-domain-a%20b%2Fc", Title: "Latest scan report", Description: "Open the newest urlscan.io scan of this domain", URL: "https://urlscan.test/result/a/", Categories: []string{"urlscan.io", "Scan"}},
			},
		},
		{
			ctim.Observable{Type: "url", Value: "https://x.example/a b?q=1"},
			[]ctim.Reference{
				{ID: "ref-urlscan-search-url-https%3A%2F%2Fx.example%2Fa%20b%3Fq%3D1", Title: "Search for this url", Description: "Check this url status with urlscan.io", URL: `https://urlscan.test/search/#"https://x.example/a b?q=1"`, Categories: []string{"Search", "urlscan.io"}},
				{ID: "ref-urlscan-latest-url-https%3A%2F%2Fx.example%2Fa%20b%3Fq%3D1", Title: "Latest scan report", Description: "Open the newest urlscan.io scan of this url", URL: "https://urlscan.test/result/a/", Categories: []string{"urlscan.io", "Scan"}},
			},
		},
		{
			ctim.Observable{Type: "sha256", Value: "ab12"},
			[]ctim.Reference{
				{ID: "ref-urlscan-search-sha256-ab12", Title: "Search for this sha256", Description: "Check this sha256 status with urlscan.io", URL: "https://urlscan.test/search/#hash:ab12", Categories: []string{"Search", "urlscan.io"}},
				{ID: "ref-urlscan-latest-sha256-ab12", Title: "Latest scan report", Description: "Open the newest urlscan.io scan of this sha256", URL: "https://urlscan.test/result/a/", Categories: []string{"urlscan.io", "Scan"}},
			},
		},
	} {
		t.Run(tc.obs.Type, func(t *testing.T) {
			f := newFake()
			q, err := SearchQuery(tc.obs.Type, tc.obs.Value)
			if err != nil {
				t.Fatal(err)
			}
			f.hits[q] = []urlscan.Hit{hit("a", "2024-01-01T00:00:00Z")}
			got, errs := newTestService(f).Refer(context.Background(), "k", []ctim.Observable{tc.obs}, 10)
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if !slices.EqualFunc(got, tc.want, sameReference) {
				t.Errorf("Refer(%v) differs (-want +got):\n%s", tc.obs, cmp.Diff(tc.want, got))
			}
		})
	}
}

func sameReference(a, b ctim.Reference) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Description == b.Description && a.URL == b.URL && slices.Equal(a.Categories, b.Categories)
}

func TestReferOnlyWithHits(t *testing.T) {
	f := newFake()
	f.hits[`page.domain:"seen.example"`] = []urlscan.Hit{hit("a", "2024-01-01T00:00:00Z")}
	f.searchErrs[`page.domain:"broken.example"`] = tr.New(tr.TooManyRequests, tr.MsgTooMany)
	obs := []ctim.Observable{
		{Type: "domain", Value: "unseen.example"},
		{Type: "domain", Value: "broken.example"},
		{Type: "Domain", Value: "seen.example"},
	}
	refs, errs := newTestService(f).Refer(context.Background(), "k", obs, 7)
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	if want := []string{"ref-urlscan-browse-domain-seen.example", "ref-urlscan-search-domain-seen.example", "ref-urlscan-latest-domain-seen.example"}; !slices.Equal(ids, want) {
		t.Errorf("references = %v, want %v", ids, want)
	}
	if len(errs) != 1 || tr.From(errs[0]).Code != tr.TooManyRequests {
		t.Errorf("errors = %v, want the one search's too many requests", errs)
	}
	if len(f.searches) != 3 {
		t.Errorf("searches = %v, want one per observable", f.searches)
	}
	for _, s := range f.searches {
		if s.size != 1 {
			t.Errorf("search %q size = %d, want 1: one hit tells that one exists", s.query, s.size)
		}
	}
	if len(f.resultsGot) != 0 {
		t.Errorf("results fetched: %v, want none", f.resultsGot)
	}
}

func TestReferNothingIsAnEmptyList(t *testing.T) {
	for _, obs := range [][]ctim.Observable{nil, {{Type: "md5", Value: "x"}}, {{Type: "ip", Value: "192.0.2.9"}}} {
		refs, errs := newTestService(newFake()).Refer(context.Background(), "k", obs, 10)
		if refs == nil || len(refs) != 0 || len(errs) != 0 {
			t.Errorf("Refer(%v) = %#v, %v; want an empty, non-nil list", obs, refs, errs)
		}
	}
}
