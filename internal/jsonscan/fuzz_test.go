package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/tidwall/gjson"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// FuzzMembers checks the validating form against encoding/json (which
// documents are valid) and gjson (where the members are).
func FuzzMembers(f *testing.F) {
	urlscantest.SeedFuzz(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := Members(doc, "task", "verdicts")
		valid := json.Valid(doc)
		object := valid && gjson.ParseBytes(doc).IsObject()
		switch {
		case err == nil && !object:
			t.Fatalf("accepted %q, which is not a valid JSON object", doc)
		case err != nil && object && !errors.Is(err, ErrTooDeep):
			t.Fatalf("refused the valid object %q: %v", doc, err)
		case errors.Is(err, ErrNotObject) && !valid:
			// The scanner stops at the first byte; calling an invalid
			// non-object "not an object" is fine.
		}
		if err != nil {
			if v != nil {
				t.Fatalf("error %v with values %q", err, v)
			}
			return
		}
		for k, name := range []string{"task", "verdicts"} {
			if got, want := string(v[k]), gjson.GetBytes(doc, name).Raw; got != want {
				t.Fatalf("member %s: got %q, want %q", name, got, want)
			}
		}
	})
}

// FuzzStream checks the streaming form: it never panics; how the document
// is cut into reads changes nothing; it answers what the byte-by-byte
// reference does; a valid JSON document gets the members Members finds;
// and no truncated document is accepted. Invalid JSON may be accepted, as
// long as the members asked for are valid (the package documentation says
// why).
func FuzzStream(f *testing.F) {
	urlscantest.SeedFuzz(f)
	for _, s := range []string{
		`{"data":{"requests":["0123456789abcdef\\\\\"0123456789abcdef\\"]},"task":{"reportURL":"0123456789abcdef\"x"}}`,
		`{"data":[["[{\"}]"]],"x":"\\","verdicts":{"overall":{"tags":["a\"]"]}}}`,
		`{"data":{"a":01,"b":"\q"},"task":{"time":"2020-01-01T00:00:00Z"}}`, `{"task":{}}}`, `{"task":1 2}`, `{"a":[}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s := NewStream()
		got, err := streamRead(s, bytes.NewReader(doc))
		if err != nil && got != ([2]string{}) {
			t.Fatalf("error %v with members %q", err, got)
		}
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(doc)), urlscantest.RecordReader(bytes.NewReader(doc), 7), iotest.DataErrReader(bytes.NewReader(doc))} {
			pieces, piecesErr := streamRead(s, r)
			if !errors.Is(piecesErr, err) || pieces != got {
				t.Fatalf("read in pieces: got %q, %v; whole: %q, %v", pieces, piecesErr, got, err)
			}
		}
		if want, wantErr := referenceMembers(doc); !errors.Is(err, wantErr) || got != want {
			t.Fatalf("%q: got %q, %v; the byte-by-byte reference: %q, %v", doc, got, err, want, wantErr)
		}
		if json.Valid(doc) {
			v, wantErr := Members(doc, "task", "verdicts")
			var want [2]string
			if wantErr == nil {
				want = [2]string{string(v[0]), string(v[1])}
			}
			if !errors.Is(err, wantErr) || got != want {
				t.Fatalf("valid JSON %q: got %q, %v; Members: %q, %v", doc, got, err, want, wantErr)
			}
		}
		if err != nil {
			return
		}
		end := len(bytes.TrimRight(doc, " \t\r\n"))
		for cut := 0; cut < end; cut += max(1, end/64) {
			if got, err := streamRead(s, bytes.NewReader(doc[:cut])); err == nil {
				t.Fatalf("the truncated document %q read as %q", doc[:cut], got)
			}
		}
		if got, err := streamRead(s, bytes.NewReader(doc[:end-1])); err == nil {
			t.Fatalf("the truncated document %q read as %q", doc[:end-1], got)
		}
	})
}
