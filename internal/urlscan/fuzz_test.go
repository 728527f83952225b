package urlscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"urlscan-relay/internal/jsonscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func FuzzDecodeSearch(f *testing.F) {
	urlscantest.SeedFuzz(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		hits, err := decodeSearch(doc, 0)
		ref, refErr := decodeSearchInPasses(doc)
		if (err == nil) != (refErr == nil) || !reflect.DeepEqual(hits, ref) {
			t.Fatalf("%q: one pass = %+v, %v; in passes = %+v, %v", doc, hits, err, ref, refErr)
		}
		if err != nil {
			if hits != nil {
				t.Fatalf("error %v with %d hits", err, len(hits))
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("invalid JSON %q decoded without error", doc)
		}
		for _, h := range hits {
			if !ValidScanID(h.ID) {
				t.Fatalf("hit with id %q kept", h.ID)
			}
			for _, s := range h.Stats {
				if _, err := s.Value.Float64(); err != nil && !strings.ContainsAny(string(s.Value), "eE") {
					t.Fatalf("stat %q = %q is not a number", s.Name, s.Value)
				}
			}
		}
	})
}

// FuzzDecodeResult checks the decoder of result documents: it never
// panics, answers a Result or an error, keeps times in UTC, and gives a
// valid JSON document the answer the strict decoder it replaced gave. What
// the scanner under it accepts, and how reads are cut, is fuzzed in
// jsonscan.
func FuzzDecodeResult(f *testing.F) {
	urlscantest.SeedFuzz(f)
	for _, s := range []string{
		`{"data":{"requests":["0123456789abcdef\\\\\"0123456789abcdef\\"]},"task":{"reportURL":"0123456789abcdef\"x"}}`,
		`{"data":[["[{\"}]"]],"x":"\\","verdicts":{"overall":{"tags":["a\"]"]}}}`,
		`{"data":{"a":01,"b":"\q"},"task":{"time":"2020-01-01T00:00:00Z"}}`, `{"task":{}}}`, `{"task":1 2}`, `{"a":[}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := decodeResult(bytes.NewReader(doc), jsonscan.NewStream())
		if (err == nil) != (res != nil) {
			t.Fatalf("got %+v and error %v", res, err)
		}
		if json.Valid(doc) {
			want, wantErr := decodeResultStrict(doc)
			if !errors.Is(err, wantErr) || !reflect.DeepEqual(res, want) {
				t.Fatalf("valid JSON %q: got %+v, %v; the strict decoder: %+v, %v", doc, res, err, want, wantErr)
			}
		}
		if err == nil && !res.Time.IsZero() && res.Time.Location().String() != "UTC" {
			t.Fatalf("time %v not in UTC", res.Time)
		}
	})
}

// decodeSearchInPasses is what decodeSearch did before it read answers in
// one pass, for size 0: check the whole answer, then walk its hits, their
// members and their task. The fuzz target holds the two to the same hits.
func decodeSearchInPasses(doc []byte) ([]Hit, error) {
	v, err := jsonscan.Members(doc, "results")
	if err != nil {
		return nil, err
	}
	var hits []Hit
	_ = jsonscan.EachElement(v[0], func(raw []byte) bool {
		var m [4][]byte
		var task [1][]byte
		firstMembers(raw, []string{"task", "_id", "page", "stats"}, m[:])
		firstMembers(m[0], []string{"time"}, task[:])
		if id := text(m[1]); ValidScanID(id) {
			hits = append(hits, Hit{ID: id, Time: parseTimeText(text(task[0])), Stats: decodeStats(m[3]), Page: pageOf(m[2])})
		}
		return true
	})
	// Newest first, urlscan's order among equal times, unknown times last.
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Time.IsZero() != b.Time.IsZero():
			if a.Time.IsZero() {
				return 1
			}
			return -1
		case a.Time.Equal(b.Time):
			return 0
		case a.Time.After(b.Time):
			return -1
		}
		return 1
	})
	return hits, nil
}
