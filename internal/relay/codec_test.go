package relay

import (
	"strings"
	"testing"
)

func TestCodecsRefusePlantedValues(t *testing.T) {
	good := `[{"ID":"0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b","Time":"2026-01-01T00:00:00Z","Stats":[{"Name":"requests","Value":12}],"Page":{"URL":"https://x.example/","Domain":"x.example","IP":"192.0.2.1"}}]`
	if hits, err := (HitsCodec{}).Unmarshal([]byte(good)); err != nil || len(hits) != 1 {
		t.Fatalf("valid hits: %v, %v", hits, err)
	}
	for name, doc := range map[string]string{
		"path id":     strings.Replace(good, "0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b", "../../../evil?x=1#", 1),
		"1e999 stat":  strings.Replace(good, `"Value":12`, `"Value":1e999`, 1),
		"huge domain": strings.Replace(good, `"Domain":"x.example"`, `"Domain":"`+strings.Repeat("d", 300)+`"`, 1),
		"not a list":  `{"ID":"x"}`,
	} {
		if hits, err := (HitsCodec{}).Unmarshal([]byte(doc)); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, hits)
		}
	}
	if r, err := (ResultCodec{}).Unmarshal([]byte(`null`)); err != nil || r != nil {
		t.Errorf("null result (a deleted scan) = %v, %v; want nil, nil", r, err)
	}
	if r, err := (ResultCodec{}).Unmarshal([]byte(`{"ReportURL":"https://urlscan.io/result/x/","Tags":["phishing"]}`)); err != nil || r == nil {
		t.Errorf("valid result: %v, %v", r, err)
	}
	huge := `{"ReportURL":"` + strings.Repeat("r", 8<<20) + `"}`
	if r, err := (ResultCodec{}).Unmarshal([]byte(huge)); err == nil {
		t.Errorf("8 MiB reportURL decoded (%d bytes), want an error", len(r.ReportURL))
	}
}
