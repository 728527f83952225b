package relay

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// planted encodes hits as a tampered Redis could hold them: the codec's
// own writer, which checks nothing.
func planted(hits []urlscan.Hit) []byte {
	b, _ := HitsCodec{}.Marshal(hits)
	return b
}

// rawHit is one hit in the shared tier's layout, as fields sends them:
// how a value the relay never wrote can be made.
func rawHit(fields ...func([]byte) []byte) []byte {
	return nested(nil, wireHit, func(b []byte) []byte {
		for _, f := range fields {
			b = f(b)
		}
		return b
	})
}

func rawString(num protowire.Number, s string) func([]byte) []byte {
	return func(b []byte) []byte { return appendString(b, num, s) }
}

func rawVarint(num protowire.Number, v uint64) func([]byte) []byte {
	return func(b []byte) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
}

func rawTime(sec int64, ns uint64) func([]byte) []byte {
	return func(b []byte) []byte {
		return nested(b, hitTime, func(b []byte) []byte {
			return rawVarint(timeNanos, ns)(rawVarint(timeSeconds, protowire.EncodeZigZag(sec))(b))
		})
	}
}

func TestCodecsRefusePlantedValues(t *testing.T) {
	hits, result := benchCodecValues()
	good := hits[:1]
	if got, err := (HitsCodec{}).Unmarshal(planted(good)); err != nil || !reflect.DeepEqual(got, good) {
		t.Fatalf("valid hits: %v, %v", got, err)
	}
	with := func(change func(*urlscan.Hit)) []byte {
		h := good[0]
		h.Stats = slices.Clone(h.Stats)
		change(&h)
		return planted([]urlscan.Hit{h})
	}
	id := rawString(hitID, good[0].ID)
	valid := planted(good)
	for name, b := range map[string][]byte{
		"path id":           with(func(h *urlscan.Hit) { h.ID = "../../../evil?x=1#" }),
		"1e999 stat":        with(func(h *urlscan.Hit) { h.Stats[0].Value = "1e999" }),
		"huge domain":       with(func(h *urlscan.Hit) { h.Page.Domain = strings.Repeat("d", 300) }),
		"truncated":         valid[:len(valid)-1],
		"broken last field": append(slices.Clone(valid[:len(valid)-2]), 0x7f),
		"unknown field":     rawHit(id, rawVarint(9, 1)),
		"id as a number":    rawHit(rawVarint(hitID, 7)),
		"two ids":           rawHit(id, id),
		"nanos of a second": rawHit(id, rawTime(1e9, uint64(time.Second))),
		"year 10000":        rawHit(id, rawTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 0)),
		"a hit as a number": rawVarint(wireHit, 1)(nil),
		"group wire type":   protowire.AppendTag(nil, wireHit, protowire.StartGroupType),
		"field number 2^29": rawVarint(1<<29-1, 1)(nil),
		"65,537 hits":       bytes.Repeat(rawHit(id), maxWireHits+1),
	} {
		if got, err := (HitsCodec{}).Unmarshal(b); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, got)
		}
	}
	if got, err := (HitsCodec{}).Unmarshal(rawHit(id, rawTime(1e9, 5))); err != nil || len(got) != 1 || !got[0].Time.Equal(time.Unix(1e9, 5)) || got[0].Time.Location() != time.UTC {
		t.Errorf("a time of its own: %+v, %v", got, err)
	}
	// Empty and missing stats, tags and times answer differently: the
	// shared tier keeps them apart.
	edge := slices.Clone(hits[:3])
	edge[0].Stats, edge[1].Stats, edge[2].Time = []urlscan.Stat{}, nil, time.Time{}
	if got, err := (HitsCodec{}).Unmarshal(planted(edge)); err != nil || !reflect.DeepEqual(got, edge) {
		t.Errorf("hits with empty, missing stats and no time: %+v, %v; want %+v", got, err, edge)
	}
	if got, err := (HitsCodec{}).Unmarshal(nil); err != nil || got != nil {
		t.Errorf("no hits = %v, %v; want nil, nil", got, err)
	}
	encode := func(r *urlscan.Result) []byte {
		b, _ := ResultCodec{}.Marshal(r)
		return b
	}
	for _, r := range []*urlscan.Result{{Tags: []string{}}, {Categories: []string{}, Malicious: true}, {}, {Tags: []string{""}, Categories: []string{"", "x"}}} {
		if got, err := (ResultCodec{}).Unmarshal(encode(r)); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("result %+v came back %+v, %v", r, got, err)
		}
	}
	if r, err := (ResultCodec{}).Unmarshal(encode(nil)); err != nil || r != nil {
		t.Errorf("null result (a deleted scan) = %v, %v; want nil, nil", r, err)
	}
	if r, err := (ResultCodec{}).Unmarshal(encode(result)); err != nil || !reflect.DeepEqual(r, result) {
		t.Errorf("valid result: %+v, %v; want %+v", r, err, result)
	}
	huge := *result
	huge.ReportURL = strings.Repeat("r", 8<<20)
	if r, err := (ResultCodec{}).Unmarshal(encode(&huge)); err == nil {
		t.Errorf("8 MiB reportURL decoded (%d bytes), want an error", len(r.ReportURL))
	}
	for name, b := range map[string][]byte{
		"no present field": rawString(resultReport, "https://urlscan.io/result/x/")(nil),
		"two reports":      rawString(resultReport, "a")(rawString(resultReport, "b")(encode(result))),
		"a hit":            planted(good),
	} {
		if r, err := (ResultCodec{}).Unmarshal(b); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, r)
		}
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
