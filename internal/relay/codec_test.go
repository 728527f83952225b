package relay

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// planted encodes v as a tampered Redis could hold it: the codec's own
// encoding, which checks nothing.
func planted(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cache.CBORCodec[any]{}.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deep is a list nested n levels.
func deep(n int) any {
	var v any = []any{}
	for range n {
		v = []any{v}
	}
	return v
}

func TestCodecsRefusePlantedValues(t *testing.T) {
	hits, result := benchCodecValues()
	good := hits[:1]
	if got, err := (HitsCodec{}).Unmarshal(planted(t, good)); err != nil || !reflect.DeepEqual(got, good) {
		t.Fatalf("valid hits: %v, %v", got, err)
	}
	with := func(change func(*urlscan.Hit)) []urlscan.Hit {
		h := good[0]
		h.Stats = slices.Clone(h.Stats)
		change(&h)
		return []urlscan.Hit{h}
	}
	for name, v := range map[string]any{
		"path id":     with(func(h *urlscan.Hit) { h.ID = "../../../evil?x=1#" }),
		"1e999 stat":  with(func(h *urlscan.Hit) { h.Stats[0].Value = "1e999" }),
		"huge domain": with(func(h *urlscan.Hit) { h.Page.Domain = strings.Repeat("d", 300) }),
		"not a list":  map[string]string{"ID": "x"},
		"deep":        deep(20),
	} {
		if got, err := (HitsCodec{}).Unmarshal(planted(t, v)); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, got)
		}
	}
	// Empty and missing stats, tags and times answer differently: the
	// shared tier keeps them apart.
	edge := slices.Clone(hits[:3])
	edge[0].Stats, edge[1].Stats, edge[2].Time = []urlscan.Stat{}, nil, time.Time{}
	if got, err := (HitsCodec{}).Unmarshal(planted(t, edge)); err != nil || !reflect.DeepEqual(got, edge) {
		t.Errorf("hits with empty, missing stats and no time: %+v, %v; want %+v", got, err, edge)
	}
	for _, r := range []*urlscan.Result{{Tags: []string{}}, {Categories: []string{}, Malicious: true}, {}} {
		if got, err := (ResultCodec{}).Unmarshal(planted(t, r)); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("result %+v came back %+v, %v", r, got, err)
		}
	}
	if r, err := (ResultCodec{}).Unmarshal(planted(t, nil)); err != nil || r != nil {
		t.Errorf("null result (a deleted scan) = %v, %v; want nil, nil", r, err)
	}
	if r, err := (ResultCodec{}).Unmarshal(planted(t, result)); err != nil || !reflect.DeepEqual(r, result) {
		t.Errorf("valid result: %+v, %v; want %+v", r, err, result)
	}
	huge := *result
	huge.ReportURL = strings.Repeat("r", 8<<20)
	if r, err := (ResultCodec{}).Unmarshal(planted(t, &huge)); err == nil {
		t.Errorf("8 MiB reportURL decoded (%d bytes), want an error", len(r.ReportURL))
	}
}

// FuzzCodecs holds that whatever Redis hands back, the codecs either refuse
// it or return values within an urlscan.io answer's bounds that encode and
// decode again to themselves.
func FuzzCodecs(f *testing.F) {
	hits, result := benchCodecValues()
	hb, _ := (HitsCodec{}).Marshal(hits)
	rb, _ := (ResultCodec{}).Marshal(result)
	for _, seed := range []string{string(hb), string(rb), `null`, `[]`, `[{"ID":"../x"}]`, `{"Tags":[1]}`, `[{"Stats":[{"Name":"a","Value":"1e9"}]}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		holds[[]urlscan.Hit](t, HitsCodec{}, b, urlscan.CheckHits)
		holds[*urlscan.Result](t, ResultCodec{}, b, urlscan.CheckResult)
	})
}

// holds checks that whatever codec accepts of b passes check and encodes
// and decodes again to itself.
func holds[V any](t *testing.T, codec cache.Codec[V], b []byte, check func(V) error) {
	t.Helper()
	v, err := codec.Unmarshal(b)
	if err != nil {
		return
	}
	if err := check(v); err != nil {
		t.Fatalf("%T out of bounds: %v", v, err)
	}
	again, err := codec.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := codec.Unmarshal(again); err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("%T does not round-trip: %v\n%+v\n%+v", v, err, v, back)
	}
}

// benchCodecValues are a search answer of the standard scenario (10 hits)
// and one result summary, as the caches hold them.
func benchCodecValues() ([]urlscan.Hit, *urlscan.Result) {
	var hits []urlscan.Hit
	for i := range 10 {
		hits = append(hits, urlscan.Hit{
			ID:    fmt.Sprintf("0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a%02d", i),
			Time:  time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC),
			Stats: []urlscan.Stat{{Name: "uniqIPs", Value: "12"}, {Name: "uniqCountries", Value: "3"}, {Name: "dataLength", Value: "123456"}, {Name: "encodedDataLength", Value: "65432"}, {Name: "requests", Value: "42"}},
			Page:  urlscan.Page{URL: "https://www.example.com/path/to/page.html", Domain: "www.example.com", IP: "192.0.2.1"},
		})
	}
	result := &urlscan.Result{
		Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ReportURL: "https://urlscan.io/result/0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b/",
		ScreenshotURL: "https://urlscan.io/screenshots/0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b.png", DomURL: "https://urlscan.io/dom/0192a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b/",
		Malicious: true, Tags: []string{"phishing"}, Categories: []string{"phishing", "banking"},
		Page: urlscan.Page{URL: "https://www.example.com/path/to/page.html", Domain: "www.example.com", IP: "192.0.2.1"},
	}
	return hits, result
}

// BenchmarkCodecs measures what a replica pays to decode what Redis holds
// for one standard request: 4 search answers and 40 result summaries.
func BenchmarkCodecs(b *testing.B) {
	hits, result := benchCodecValues()
	hb, _ := (HitsCodec{}).Marshal(hits)
	rb, _ := (ResultCodec{}).Marshal(result)
	b.ReportAllocs()
	b.SetBytes(int64(4*len(hb) + 40*len(rb)))
	for b.Loop() {
		for range 4 {
			if _, err := (HitsCodec{}).Unmarshal(hb); err != nil {
				b.Fatal(err)
			}
		}
		for range 40 {
			if _, err := (ResultCodec{}).Unmarshal(rb); err != nil {
				b.Fatal(err)
			}
		}
	}
}
