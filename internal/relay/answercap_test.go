package relay

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

func TestAnswerHitsAreBoundedAcrossObservables(t *testing.T) {
	f := newFake()
	const n, perObs = 40, 100
	var obs []ctim.Observable
	for i := range n {
		d := fmt.Sprintf("d%d.example", i)
		obs = append(obs, ctim.Observable{Type: "domain", Value: d})
		q, _ := SearchQuery("domain", d)
		for j := range perObs {
			id := fmt.Sprintf("h-%d-%d", i, j)
			f.hits[q] = append(f.hits[q], urlscan.Hit{ID: id})
			f.results[id] = &urlscan.Result{}
		}
	}
	s := New(f, Config{UIURL: "https://urlscan.io", MaxAnswerHits: 1000, Now: fixedNow, NewID: counterIDs()})
	data, errs := s.Observe(context.Background(), "k", obs, perObs)
	if got := len(data.Sightings.Docs); got != 1000 {
		t.Errorf("sightings = %d, want the answer's bound of 1000", got)
	}
	for _, sr := range f.searches {
		if sr.size > 1000/n {
			t.Fatalf("searched with size %d, want at most the share %d", sr.size, 1000/n)
		}
	}
	var warned bool
	for _, err := range errs {
		if te := tr.From(err); te != nil && te.Code == tr.TooManyEntities {
			warned = te.Warning && strings.Contains(te.Message, "at most 1000 sightings")
		}
	}
	if !warned || len(errs) != 1 {
		t.Errorf("%d errors, want one warning that the answer was cut", len(errs))
	}

	// Within the bound nothing changes and nothing is said.
	data, errs = s.Observe(context.Background(), "k", obs[:5], perObs)
	if got := len(data.Sightings.Docs); got != 5*perObs || len(errs) != 0 {
		t.Errorf("5 observables: %d sightings, %d errors; want %d and none", got, len(errs), 5*perObs)
	}
	// Deliberate is held to the same share.
	f.searches = nil
	_, errs = s.Deliberate(context.Background(), "k", obs, perObs)
	if len(errs) != 1 || tr.From(errs[0]).Code != tr.TooManyEntities {
		t.Errorf("deliberate: %d errors, want the warning alone", len(errs))
	}
}
