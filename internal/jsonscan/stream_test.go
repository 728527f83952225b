package jsonscan

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// splitReader answers its document in two reads, cut at one position.
type splitReader struct {
	doc []byte
	cut int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.doc) == 0 {
		return 0, io.EOF
	}
	part := r.doc
	if r.cut > 0 {
		part, r.cut = r.doc[:min(r.cut, len(r.doc))], 0
	}
	n := copy(p, part)
	r.doc = r.doc[n:]
	return n, nil
}

// streamRead reads doc's task and verdicts members through r with s, as
// raw text.
func streamRead(s *Stream, r io.Reader) ([2]string, error) {
	v, err := s.Members(r, "task", "verdicts")
	if err != nil {
		return [2]string{}, err
	}
	return [2]string{string(v[0]), string(v[1])}, nil
}

// Every document is read whole, a byte at a time, and cut in two at every
// position: the answer must not depend on where the reads end. The
// documents put quotes, escapes, keys and kept members across the cuts,
// and across the 32-byte steps of skipContainer.
func TestStreamSplits(t *testing.T) {
	pad := strings.Repeat("x", step-3)
	docs := []string{
		`{"task":{"a":"b"},"verdicts":[1,2]}`,
		`{ "data" : { "requests" : [ "a\"b", "c\\", "\\\"]", {"d":"}\\\\"} ] } , "task" : "t\"\\" , "verdicts" : { "overall" : { "tags" : [ "x\"y" ] } } }`,
		`{"data":["` + pad + `\"` + pad + `\\` + pad + `\\\"` + pad + `"],"task":{"k":"` + pad + `\"` + pad + `"}}`,
		`{"data":"` + strings.Repeat(`\\`, step) + `","x":["` + strings.Repeat(`\\`, step+1) + `\"]"],"task":[]}`,
		`{"data":[[` + strings.Repeat(`{"a":[1,"]",{}],"b":"[{"},`, 8) + `{}]],"task":1.5e3,"verdicts":null}`,
		`{"tasks":1,"task":true,"verdicts":"v","task":false,"verdicts":"w"}`,
		`{"data":[],` + strings.Repeat(" ", 3*step) + `"task":"` + strings.Repeat("é", step) + `"}` + strings.Repeat("\n", step),
		`{"a":"` + strings.Repeat(`\u00e9`, 20) + `","task":{"b":["` + strings.Repeat(`\\\"`, 20) + `"]}}`,
		`{"data":[1,2}`, `{"data":"\"}`, `{"task":{"a":1}`, `{"task":"x}`, `{"data":[}]}`, `{"a":[]]}`, `{"a":1}}`, `{"a":1} x`,
		`{"data":["` + pad + `\"],"task":1}`, `{"task":01}`, `{"task":[1,]}`, `{"verdicts":{"x":"\q"}}`,
	}
	s := NewStream()
	for _, doc := range docs {
		want, wantErr := streamRead(s, strings.NewReader(doc))
		if v, err := Members([]byte(doc), "task", "verdicts"); err == nil {
			// Valid JSON: the members read are what Members finds.
			if got := [2]string{string(v[0]), string(v[1])}; got != want || wantErr != nil {
				t.Errorf("%.60q: read %q, %v; Members found %q", doc, want, wantErr, got)
			}
		}
		check := func(how string, r io.Reader) {
			t.Helper()
			got, err := streamRead(s, r)
			if got != want || !errors.Is(err, wantErr) {
				t.Errorf("%.60q %s: got %q, %v; want %q, %v", doc, how, got, err, want, wantErr)
			}
		}
		check("a byte at a time", iotest.OneByteReader(strings.NewReader(doc)))
		check("with EOF on the last read", iotest.DataErrReader(strings.NewReader(doc)))
		for cut := 1; cut < len(doc); cut++ {
			check("cut at "+strconv.Itoa(cut), &splitReader{doc: []byte(doc), cut: cut})
		}
	}
	// The answers themselves, for a few of them.
	tests := []struct {
		doc  string
		want [2]string
		err  error
	}{
		{docs[0], [2]string{`{"a":"b"}`, `[1,2]`}, nil},
		{docs[1], [2]string{`"t\"\\"`, `{ "overall" : { "tags" : [ "x\"y" ] } }`}, nil},
		{docs[5], [2]string{`true`, `"v"`}, nil},
		{docs[8], [2]string{}, ErrNotJSON},
		{docs[len(docs)-4], [2]string{}, ErrNotJSON},
		{docs[len(docs)-1], [2]string{}, ErrNotJSON},
	}
	for _, tc := range tests {
		got, err := streamRead(s, strings.NewReader(tc.doc))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%.60q: got %q, %v; want %q, %v", tc.doc, got, err, tc.want, tc.err)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestStreamDepth(t *testing.T) {
	s := NewStream()
	for _, member := range []string{"data", "task"} {
		// 8 MiB of open brackets: refused at the 512th level, within the
		// first window, with a fixed stack.
		doc := io.MultiReader(strings.NewReader(`{"`+member+`":`), strings.NewReader(strings.Repeat("[{\"a\":", 8<<20/6)))
		r := &countingReader{r: doc}
		if _, err := s.Members(r, "task"); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%s: got %v, want %v", member, err, ErrTooDeep)
		}
		if r.n > 2*streamWindow {
			t.Errorf("%s: read %d bytes before refusing, want a window or two (%d)", member, r.n, streamWindow)
		}
	}
	deepest := `{"data":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`
	if _, err := s.Members(strings.NewReader(deepest), "task"); err != nil {
		t.Errorf("nesting of exactly %d levels: %v", MaxDepth, err)
	}
}

func TestStreamReadError(t *testing.T) {
	broken := errors.New("connection reset")
	doc := benchDocument()
	s := NewStream()
	for _, cut := range []int{0, 1, 100, streamWindow, len(doc) - 1} {
		readers := []io.Reader{io.MultiReader(bytes.NewReader(doc[:cut]), iotest.ErrReader(broken))}
		if cut > 0 {
			readers = append(readers, iotest.TimeoutReader(bytes.NewReader(doc[:cut])))
		}
		for _, r := range readers {
			if _, err := streamRead(s, r); err == nil || errors.Is(err, ErrNotJSON) {
				t.Errorf("cut at %d: got %v, want the read's error", cut, err)
			}
		}
	}
	if _, err := streamRead(s, io.MultiReader(bytes.NewReader(doc[:100]), iotest.ErrReader(broken))); !errors.Is(err, broken) {
		t.Errorf("got %v, want %v", err, broken)
	}
	// A reader that never answers anything is not waited on forever.
	if _, err := streamRead(s, emptyReader{}); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("got %v, want %v", err, io.ErrNoProgress)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// A document in flight costs the window and the members kept, not its size.
func TestStreamMemory(t *testing.T) {
	doc := benchDocument()
	s, rd := NewStream(), bytes.NewReader(doc)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		rd.Reset(doc)
		if _, err := s.Members(rd, "task", "verdicts"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := (after.TotalAlloc - before.TotalAlloc) / runs; got > 16<<10 {
		t.Errorf("decoding a %d KiB document allocated %d bytes, want under 16 KiB", len(doc)>>10, got)
	}
}

// Random documents, most of them broken, from the bytes that matter to the
// structure, and the realistic document with bytes changed: the streaming
// decoder answers what the byte-by-byte reference does.
func TestStreamAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := NewStream()
	check := func(doc []byte) {
		t.Helper()
		got, err := streamRead(s, bytes.NewReader(doc))
		want, wantErr := referenceMembers(doc)
		if !errors.Is(err, wantErr) || got != want {
			t.Fatalf("%q: got %+v, %v; the reference: %+v, %v", doc, got, err, want, wantErr)
		}
	}
	const alphabet = `""""\\\\{}[]{}[]::,, ax1`
	for range 20000 {
		doc := []byte(`{"data":`)
		for range r.IntN(4 * step) {
			doc = append(doc, alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(2) == 0 {
			doc = append(doc, `,"task":{"reportURL":"r"}}`...)
		}
		check(doc)
	}
	big := benchDocument()
	for range 40 {
		doc := bytes.Clone(big)
		for range 1 + r.IntN(3) {
			doc[r.IntN(len(doc))] = alphabet[r.IntN(len(alphabet))]
		}
		check(doc)
	}
}

// A document's huge member must not stay pinned by the Stream once read,
// neither as text nor through the values that pointed into it; the
// caller's values stay as they were.
func TestStreamDropsLargeText(t *testing.T) {
	s := NewStream()
	big := `"` + strings.Repeat("x", 2*maxKeptText) + `"`
	v, err := s.Members(strings.NewReader(`{"task":`+big+`}`), "task")
	if err != nil || string(v[0]) != big {
		t.Fatalf("got %.20q…, %v; want the member", v, err)
	}
	if s.text != nil || s.values != nil {
		t.Errorf("the stream keeps %d bytes of text and %d values after a large member", cap(s.text), len(s.values))
	}
	if _, err := s.Members(strings.NewReader(`{"task":1}`), "task"); err != nil || string(v[0]) != big {
		t.Errorf("the next document changed the values of the last one: %.20q, %v", v[0], err)
	}
}
