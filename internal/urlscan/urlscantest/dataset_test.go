package urlscantest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestCuratedScans(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewServer(Options{Scans: []Scan{
		{ID: "11111111-1111-4111-8111-111111111111", Time: at, URL: "https://bad.example/login", IP: "203.0.113.5", Malicious: true, Score: 100, Categories: []string{"phishing"}, Hashes: []string{"ab12"}},
		{ID: "22222222-2222-4222-8222-222222222222", Time: at.Add(time.Hour), URL: "https://bad.example/", IP: "203.0.113.5", Deleted: true},
		{ID: "33333333-3333-4333-8333-333333333333", Time: at, URL: "https://good.example/", IP: "198.51.100.7"},
	}})
	defer s.Close()
	get := func(path string) (int, []byte) {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	search := func(q string) []string {
		t.Helper()
		_, b := get("/search/?size=100&q=" + url.QueryEscape(q))
		var ans struct {
			Results []struct {
				ID string `json:"_id"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatalf("search %s: %v in %s", q, err, b)
		}
		var ids []string
		for _, r := range ans.Results {
			ids = append(ids, r.ID[:1])
		}
		return ids
	}
	for q, want := range map[string]string{
		`page.domain:"bad.example"`:                "21", // newest first
		`page.ip:"203.0.113.5"`:                    "21",
		`page.url:"https://bad.example/login"`:     "1",
		`page.url.keyword:"https://good.example/"`: "3",
		`hash:"AB12"`:                              "1",
		`page.domain:"unknown.example"`:            "",
		`page.ip:"1.1.1.1"`:                        "",
	} {
		got := ""
		for _, id := range search(q) {
			got += id
		}
		if got != want {
			t.Errorf("search %s = %q, want %q", q, got, want)
		}
	}
	status, b := get("/result/11111111-1111-4111-8111-111111111111/")
	var doc struct {
		Verdicts struct {
			Overall struct {
				Malicious  bool     `json:"malicious"`
				Categories []string `json:"categories"`
			} `json:"overall"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &doc); status != http.StatusOK || err != nil || !doc.Verdicts.Overall.Malicious || len(doc.Verdicts.Overall.Categories) != 1 {
		t.Errorf("malicious result = %d %s", status, b)
	}
	if status, b := get("/result/22222222-2222-4222-8222-222222222222/"); status != http.StatusGone {
		t.Errorf("deleted result = %d %s, want 410", status, b)
	}
}
