package urlscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/tidwall/gjson"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// The decoder of result documents was chosen by BenchmarkDecodeResult. The
// alternatives it is measured against live here, so that the comparison
// can be run again: encoding/json into a minimal lenient struct, and gjson
// used plainly (validate, then one lookup per member, each crossing
// data.requests again).

type lenientString string

func (s *lenientString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = lenientString(v)
	}
	return nil
}

type lenientStrings []string

func (s *lenientStrings) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for _, r := range raw {
		var v string
		if json.Unmarshal(r, &v) == nil {
			*s = append(*s, v)
		}
	}
	return nil
}

type lenientBool bool

func (v *lenientBool) UnmarshalJSON(b []byte) error {
	*v = lenientBool(bytes.Equal(b, []byte("true")))
	return nil
}

func decodeResultStdlib(doc []byte) (*Result, error) {
	var d struct {
		Task struct {
			Time          lenientString `json:"time"`
			ReportURL     lenientString `json:"reportURL"`
			ScreenshotURL lenientString `json:"screenshotURL"`
			DomURL        lenientString `json:"domURL"`
		} `json:"task"`
		Verdicts struct {
			Overall struct {
				Malicious  lenientBool    `json:"malicious"`
				Tags       lenientStrings `json:"tags"`
				Categories lenientStrings `json:"categories"`
			} `json:"overall"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); !errors.As(err, &te) {
			return nil, err
		}
	}
	return &Result{
		Time:          parseTime(gjson.Result{Type: gjson.String, Str: string(d.Task.Time)}),
		ReportURL:     string(d.Task.ReportURL),
		ScreenshotURL: string(d.Task.ScreenshotURL),
		DomURL:        string(d.Task.DomURL),
		Malicious:     bool(d.Verdicts.Overall.Malicious),
		Tags:          d.Verdicts.Overall.Tags,
		Categories:    d.Verdicts.Overall.Categories,
	}, nil
}

func decodeResultGJSONPaths(doc []byte) (*Result, error) {
	if !gjson.ValidBytes(doc) {
		return nil, errNotJSON
	}
	v := gjson.GetManyBytes(doc, "task", "verdicts.overall")
	task, overall := v[0], v[1]
	return &Result{
		Time:          parseTime(task.Get("time")),
		ReportURL:     str(task.Get("reportURL")),
		ScreenshotURL: str(task.Get("screenshotURL")),
		DomURL:        str(task.Get("domURL")),
		Malicious:     overall.Get("malicious").Type == gjson.True,
		Tags:          strs(overall.Get("tags")),
		Categories:    strs(overall.Get("categories")),
	}, nil
}

var resultDecoders = []struct {
	name   string
	decode func([]byte) (*Result, error)
}{
	{"chosen", decodeResult},
	{"encoding-json", decodeResultStdlib},
	{"gjson-paths", decodeResultGJSONPaths},
}

// benchDocument is a realistic ~300 KiB result document, malicious so that
// every kept field is filled.
func benchDocument(tb testing.TB) []byte {
	for _, id := range []string{"0c8b1a1e-55c3-4f6e-9d0a-3f2b7c9e4d11", "7d3e2f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "e4b1c2d3-0f1e-4a5b-9c6d-7e8f9a0b1c2d", "13cde17f-a7f5-4e27-8a56-5e81bc086a37"} {
		doc := urlscantest.GenerateResult(id, 300<<10)
		if r, err := decodeResult(doc); err == nil && r.Malicious {
			return doc
		}
	}
	tb.Fatal("no malicious generated document among the candidates")
	return nil
}

func TestResultDecodersAgree(t *testing.T) {
	doc := benchDocument(t)
	want, err := decodeResult(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want.Time.IsZero() || want.ReportURL == "" || len(want.Categories) == 0 {
		t.Fatalf("generated document decoded to %+v, want every field", want)
	}
	for _, d := range resultDecoders[1:] {
		got, err := d.decode(doc)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, %v; want %+v", d.name, got, err, want)
		}
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	doc := benchDocument(b)
	for _, d := range resultDecoders {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
