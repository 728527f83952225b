package relay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan"
)

// fixtureDir holds the real urlscan.io answers the golden tests start from.
const fixtureDir = "../urlscan/urlscantest/fixtures"

// loadSearch decodes a search fixture into hits, the way the client does:
// stats keep urlscan.io's order.
func loadSearch(t testing.TB, name string) []urlscan.Hit {
	t.Helper()
	var doc struct {
		Results []struct {
			ID   string `json:"_id"`
			Task struct {
				Time string `json:"time"`
			} `json:"task"`
			Stats json.RawMessage `json:"stats"`
			Page  struct {
				URL    string `json:"url"`
				Domain string `json:"domain"`
				IP     string `json:"ip"`
			} `json:"page"`
		} `json:"results"`
	}
	readJSON(t, filepath.Join(fixtureDir, name), &doc)
	hits := make([]urlscan.Hit, len(doc.Results))
	for i, r := range doc.Results {
		stats, err := orderedStats(r.Stats)
		if err != nil {
			t.Fatalf("%s: stats of %s: %v", name, r.ID, err)
		}
		hits[i] = urlscan.Hit{
			ID:    r.ID,
			Time:  parseTime(t, r.Task.Time),
			Stats: stats,
			Page:  urlscan.Page{URL: r.Page.URL, Domain: r.Page.Domain, IP: r.Page.IP},
		}
	}
	return hits
}

// loadResult decodes a result fixture.
func loadResult(t testing.TB, name string) *urlscan.Result {
	t.Helper()
	var doc struct {
		Task struct {
			Time          string `json:"time"`
			ReportURL     string `json:"reportURL"`
			ScreenshotURL string `json:"screenshotURL"`
			DomURL        string `json:"domURL"`
		} `json:"task"`
		Verdicts struct {
			Overall struct {
				Malicious  bool     `json:"malicious"`
				Tags       []string `json:"tags"`
				Categories []string `json:"categories"`
			} `json:"overall"`
		} `json:"verdicts"`
	}
	readJSON(t, filepath.Join(fixtureDir, name), &doc)
	return &urlscan.Result{
		Time:          parseTime(t, doc.Task.Time),
		ReportURL:     doc.Task.ReportURL,
		ScreenshotURL: doc.Task.ScreenshotURL,
		DomURL:        doc.Task.DomURL,
		Malicious:     doc.Verdicts.Overall.Malicious,
		Tags:          doc.Verdicts.Overall.Tags,
		Categories:    doc.Verdicts.Overall.Categories,
	}
}

// fixtureUpstream is a fake urlscan.io that knows the fixtures' search for
// 1.1.1.1 and its two result documents.
func fixtureUpstream(t testing.TB) *fakeUpstream {
	t.Helper()
	f := newFake()
	hits := loadSearch(t, "search_ip_1.1.1.1.json")
	f.hits[`page.ip:"1.1.1.1"`] = hits
	for _, h := range hits {
		f.results[h.ID] = loadResult(t, "result_"+h.ID+".json")
	}
	return f
}

// orderedStats reads a stats object keeping its keys' order, which a Go
// map would lose.
func orderedStats(raw json.RawMessage) ([]urlscan.Stat, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object (%v)", err)
	}
	var stats []urlscan.Stat
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.Number
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		stats = append(stats, urlscan.Stat{Name: key.(string), Value: v})
	}
	return stats, nil
}

func parseTime(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm.UTC()
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// decodeJSON parses b keeping numbers as json.Number, so that comparisons
// see 553 and 553.0 as different.
func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %.200s: %v", b, err)
	}
	return v
}
