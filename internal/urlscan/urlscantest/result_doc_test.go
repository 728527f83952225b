package urlscantest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden documents in testdata")

// TestResultDocumentsUnchanged holds the generated and curated result
// documents (what a relay under test reads, and the bytes the benchmark's
// floor counts) to golden copies, byte for byte.
func TestResultDocumentsUnchanged(t *testing.T) {
	yes, no := true, false
	when := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	p := page{URL: "https://login.example/a?b=<c>&d", Domain: "login.example", IP: "192.0.2.9", Country: "US", Server: "nginx", ASN: "AS13335", ASNName: "CLOUDFLARENET, US"}
	var docs [][]byte
	for i, meta := range []hitMeta{{}, {time: when, page: p}, {time: when, page: p, verdict: &yes}, {time: when, page: p, verdict: &no}} {
		for k := range 8 {
			id := "6f1c9e2a-3b4d-4e5f-8a6b-7c8d9e0f" + strconv.Itoa(1000+10*i+k)
			head, tail := resultParts(id, meta)
			docs = append(docs, append(append(head, `{"i":1}`...), tail...))
		}
	}
	for _, sc := range []Scan{
		{ID: "11111111-2222-4333-8444-555555555555", Time: when, URL: "https://bad.example/login", IP: "198.51.100.4", Malicious: true, Score: 100,
			Categories: []string{"phishing"}, Brands: []string{"Example Bank"}, Tags: []string{"phishing"}, Hashes: []string{"ab12"}},
		{ID: "66666666-7777-4888-9999-000000000000", Time: when, URL: "http://plain.example/", IP: "2001:db8::1", Visibility: "unlisted", Country: "DE", ASNName: "EXAMPLE-AS"},
	} {
		docs = append(docs, curatedDocument(sc))
	}
	for i, d := range docs {
		if !json.Valid(d) {
			t.Fatalf("document %d is not JSON: %s", i, d)
		}
	}
	got := bytes.Join(docs, []byte("\n"))
	golden := filepath.Join("testdata", "result_documents.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(g), len(w)) {
			if !bytes.Equal(g[i], w[i]) {
				t.Fatalf("document %d differs:\n got %s\nwant %s", i, g[i], w[i])
			}
		}
		t.Fatalf("%d documents, want %d", len(g), len(w))
	}
}

func BenchmarkResultParts(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		resultParts("0b5e2d0c-1f6a-4c3e-9d7a-"+strconv.Itoa(100000000000+i), hitMeta{})
	}
}
