package relay

import (
	"context"
	"encoding/json"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// TestSightingDataTable checks a sighting's data table against the
// original's: a column per stat in urlscan's order, and for empty stats
// ({}) no columns and one empty row rather than no data at all.
func TestSightingDataTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stats []urlscan.Stat
		want  string // the sighting's data, as JSON; "" for none
	}{
		{"stats", []urlscan.Stat{{Name: "uniqIPs", Value: "2"}, {Name: "requests", Value: "7"}},
			`{"columns":[{"name":"uniqIPs","type":"integer"},{"name":"requests","type":"integer"}],"rows":[[2,7]]}`},
		{"empty stats", []urlscan.Stat{}, `{"columns":[],"rows":[[]]}`},
		{"no stats", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			h := hit("a", "2024-01-01T00:00:00Z")
			h.Stats = tc.stats
			f.hits[`page.domain:"x.example"`] = []urlscan.Hit{h}
			f.results["a"] = benign()
			data, errs := newTestService(f).Observe(context.Background(), "k", []ctim.Observable{{Type: "domain", Value: "x.example"}}, 10)
			if len(errs) != 0 || count(data.Sightings) != 1 {
				t.Fatalf("errs %v, sightings %d", errs, count(data.Sightings))
			}
			b, err := json.Marshal(data.Sightings.Docs[0])
			if err != nil {
				t.Fatal(err)
			}
			var sg map[string]json.RawMessage
			if err := json.Unmarshal(b, &sg); err != nil {
				t.Fatal(err)
			}
			if got := string(sg["data"]); got != tc.want {
				t.Errorf("data = %s, want %s", got, tc.want)
			}
		})
	}
}
