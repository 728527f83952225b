package relay

import (
	"context"
	"fmt"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// benchUpstream is the standard scenario's shape (4 observables × 10 hits,
// PERFORMANCE.md) held in memory, so only the relay's own work is measured.
func benchUpstream(b *testing.B) (*fakeUpstream, []ctim.Observable) {
	f := newFake()
	fixtureHit := loadSearch(b, "search_ip_1.1.1.1.json")[0]
	fixtureResult := loadResult(b, "result_13cde17f-a7f5-4e27-8a56-5e81bc086a37.json")
	obs := []ctim.Observable{
		{Type: "domain", Value: "one.example"},
		{Type: "url", Value: "https://two.example/login"},
		{Type: "ip", Value: "192.0.2.3"},
		{Type: "domain", Value: "four.example"},
	}
	for i, o := range obs {
		q, err := SearchQuery(o.Type, o.Value)
		if err != nil {
			b.Fatal(err)
		}
		var hits []urlscan.Hit
		for j := range 10 {
			h := fixtureHit
			h.ID = fmt.Sprintf("%08d-0000-4000-8000-%012d", i, j)
			hits = append(hits, h)
			r := *fixtureResult
			r.Malicious = j%2 == 0 // half judged, as on a busy phishing domain
			r.Categories = []string{[]string{"phishing", "malware", "coinmining"}[j%3]}
			f.results[h.ID] = &r
		}
		f.hits[q] = hits
	}
	return f, obs
}

func BenchmarkObserveMapping(b *testing.B) {
	f, obs := benchUpstream(b)
	s := New(f, Config{UIURL: "https://urlscan.io"})

	b.Run("fetch+map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, errs := s.Observe(context.Background(), "k", obs, 10)
			if len(errs) != 0 || data.Sightings.Count != 40 {
				b.Fatalf("Observe = %d sightings, %v", data.Sightings.Count, errs)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		ls, _ := s.fetch(context.Background(), "k", obs, 10, true)
		b.ReportAllocs()
		for b.Loop() {
			if data, _ := s.observeData(ls); data.Sightings.Count != 40 {
				b.Fatalf("%d sightings", data.Sightings.Count)
			}
		}
	})
}
