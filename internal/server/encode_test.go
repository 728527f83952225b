package server

import (
	"bytes"
	stdjson "encoding/json"
	"testing"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/ctim"
)

// TestEncodeMatchesEncodingJSON holds the claim that answers are the bytes
// encoding/json would write (HTML escaping included), only sooner.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	s := newStack(t, authtest.Start(t), nil)
	_, raw := s.post(t, "/observe/observables", "Bearer "+s.token(nil),
		`[{"type":"ip","value":"1.1.1.1"},{"type":"url","value":"http://a.example/<x>&y"}]`)
	var v struct{ Data ctim.ObserveData }
	if err := stdjson.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	want, err := stdjson.Marshal(envelope{Data: v.Data})
	if err != nil {
		t.Fatal(err)
	}
	if got := []byte(raw); !bytes.Equal(bytes.TrimSuffix(got, []byte("\n")), want) {
		t.Errorf("answer differs from encoding/json's:\ngot  %.400s\nwant %.400s", got, want)
	}
}
