package tiles

import (
	"context"
	"time"

	"urlscan-relay/internal/urlscan"
)

// Counter counts the distinct observables a key looked up since a time,
// by the verdict of their latest lookup (implemented by *lookups.Tally).
type Counter interface {
	Count(keyID string, since time.Time) (malicious, other int)
}

// segment is one slice of a donut_graph entry.
type segment struct {
	Key   int `json:"key"`
	Value int `json:"value"`
}

// donut is one entry of a donut_graph tile.
type donut struct {
	Key      int       `json:"key"`
	Value    int       `json:"value"`
	Segments []segment `json:"segments"`
}

// verdictsTile shows how many of the observables looked up in the period
// had a malicious verdict.
func verdictsTile(c Counter) kind {
	return kind{
		tile: describe("urlscan-verdicts", "donut_graph", "urlscan.io verdicts of looked-up observables",
			"Of the observables your organisation looked up through this module in the period, how many had a malicious verdict from urlscan.io and how many did not (each observable counted once, by its latest lookup).",
			"Malicious vs. not, of observables looked up"),
		data: func(_ context.Context, apiKey string, p Period, now time.Time) (Data, error) {
			mal, other := c.Count(urlscan.KeyID(apiKey), now.Add(-p.Span))
			return Data{
				LabelHeaders: []string{"Verdict"},
				Labels:       [][]string{{"Malicious", "Not malicious"}},
				Data: []donut{
					{Key: 0, Value: mal, Segments: []segment{{Key: 0, Value: mal}}},
					{Key: 1, Value: other, Segments: []segment{{Key: 1, Value: other}}},
				},
			}, nil
		},
	}
}
