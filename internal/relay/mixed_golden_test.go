package relay

import (
	"context"
	"errors"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

// mixedUpstream is a urlscan.io with a bit of everything the mapping must
// survive: deleted and failing scans, missing fields, IPv6 pages, a failing
// search, a category shared by two observables.
func mixedUpstream() *fakeUpstream {
	f := newFake()
	f.hits[`page.domain:"shop.example"`] = []urlscan.Hit{
		{
			ID:    "11111111-0000-4000-8000-000000000001",
			Time:  at("2024-02-03T04:05:06.789Z"),
			Stats: []urlscan.Stat{{Name: "requests", Value: "12"}, {Name: "uniqIPs", Value: "3"}, {Name: "dataLength", Value: "40960"}},
			Page:  urlscan.Page{URL: "https://shop.example/", Domain: "shop.example", IP: "2001:db8::7"},
		},
		{
			ID:   "11111111-0000-4000-8000-000000000002",
			Time: at("2024-02-02T00:00:00Z"),
			Page: urlscan.Page{Domain: "shop.example", IP: "192.0.2.10"},
		},
		{
			ID:    "11111111-0000-4000-8000-000000000003",
			Time:  at("2024-02-01T12:00:00Z"),
			Stats: []urlscan.Stat{{Name: "consoleMsgs", Value: "0"}},
			Page:  urlscan.Page{URL: "https://shop.example/cart"},
		},
	}
	f.results["11111111-0000-4000-8000-000000000001"] = &urlscan.Result{
		Time:          at("2024-02-03T04:05:00Z"),
		ReportURL:     "https://urlscan.io/result/11111111-0000-4000-8000-000000000001/",
		ScreenshotURL: "https://urlscan.io/screenshots/11111111-0000-4000-8000-000000000001.png",
		DomURL:        "https://urlscan.io/dom/11111111-0000-4000-8000-000000000001/",
		Malicious:     true,
		Tags:          []string{"phishing", "paypal"},
		Categories:    []string{"phishing"},
	}
	f.resultErrs["11111111-0000-4000-8000-000000000002"] = errors.Join(urlscan.ErrResultGone, tr.New(tr.NotFound, "The URLScan not found."))
	f.results["11111111-0000-4000-8000-000000000003"] = &urlscan.Result{Time: at("2024-02-01T12:00:00Z")}

	f.searchErrs[`page.url.keyword:"https://shop.example/login"`] = tr.Unavailable()

	f.hits[`hash:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`] = []urlscan.Hit{
		{ID: "22222222-0000-4000-8000-000000000001", Page: urlscan.Page{URL: "http://cdn.example/x.js", Domain: "cdn.example"}},
		{ID: "22222222-0000-4000-8000-000000000002", Time: at("2023-12-31T23:59:59Z")},
	}
	f.results["22222222-0000-4000-8000-000000000001"] = &urlscan.Result{
		ReportURL:  "https://urlscan.io/result/22222222-0000-4000-8000-000000000001/",
		Malicious:  true,
		Categories: []string{"malware", "phishing"},
	}
	f.resultErrs["22222222-0000-4000-8000-000000000002"] = tr.New(tr.InternalError, "The URLScan internal error.")
	return f
}

func TestObserveMixedGolden(t *testing.T) {
	obs := []ctim.Observable{
		{Type: "domain", Value: "shop.example"},
		{Type: "url", Value: "https://shop.example/login"},
		{Type: "sha256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Type: "ipv6", Value: "2001:db8::7"},
	}
	data, errs := newTestService(mixedUpstream()).Observe(context.Background(), "k", obs, 10)
	type trError struct {
		Code    tr.Code `json:"code"`
		Message string  `json:"message"`
	}
	var trErrs []trError
	for _, err := range errs {
		te := tr.From(err)
		trErrs = append(trErrs, trError{te.Code, te.Message})
	}
	checkGolden(t, "observe_mixed.golden.json", map[string]any{"data": data, "errors": trErrs})
}
