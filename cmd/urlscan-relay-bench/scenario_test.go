package main

import (
	"encoding/json"
	"testing"
)

func TestScenarioColdNeverRepeats(t *testing.T) {
	sc := &scenario{}
	seen := make(map[string]bool)
	for range 70_000 { // past 2^16, where the IP's second octet turns over
		var obs []struct{ Type, Value string }
		if err := json.Unmarshal(sc.cold(), &obs); err != nil {
			t.Fatal(err)
		}
		if len(obs) != 4 {
			t.Fatalf("got %d observables, want 4", len(obs))
		}
		for _, o := range obs {
			if seen[o.Type+" "+o.Value] {
				t.Fatalf("cold repeated %s %s", o.Type, o.Value)
			}
			seen[o.Type+" "+o.Value] = true
		}
	}
	var warm []struct{ Type, Value string }
	if err := json.Unmarshal(sc.warm(), &warm); err != nil || len(warm) != 4 {
		t.Errorf("warm body: %v, %d observables", err, len(warm))
	}
}
