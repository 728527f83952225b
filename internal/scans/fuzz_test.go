package scans

import (
	"strings"
	"testing"
)

// FuzzDecodeRecord feeds the decoder what a shared store might hold: it
// never panics, and what it accepts is within bounds and encodes back to a
// record it accepts again.
func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"id":"0196d976-07f6-7aae-8a57-aa019145f31c","at":"2026-03-01T12:00:00Z","url":"https://x.test/","vis":"private","q":["page.domain:\"x.test\""],"state":"done","mal":true}`))
	f.Add([]byte(`{"id":"a","at":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeRecord(b)
		if err != nil {
			return
		}
		if len(s.ID) > 64 || strings.ContainsAny(s.ID, "/.?#%") || len(s.Queries) > maxQueries || s.State.rank() == 0 {
			t.Fatalf("accepted out-of-bounds record %+v", s)
		}
		again, err := encodeRecord(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeRecord(again); err != nil {
			t.Fatalf("re-encoded record refused: %v", err)
		}
	})
}
