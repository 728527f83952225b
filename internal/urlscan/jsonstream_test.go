package urlscan

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// naiveEscapes is escapes written byte by byte.
func naiveEscapes(bs, in uint64, valid int) (esc, out uint64) {
	pending := in == 1
	for k := range valid {
		switch {
		case pending:
			esc |= 1 << k
			pending = false
		case bs>>k&1 == 1:
			pending = true
		}
	}
	if pending {
		out = 1
	}
	return esc, out
}

func TestEscapes(t *testing.T) {
	check := func(bs, in uint64, valid int) {
		t.Helper()
		bs &= 1<<valid - 1
		esc, out := escapes(bs, in, valid)
		wantEsc, wantOut := naiveEscapes(bs, in, valid)
		if esc != wantEsc || out != wantOut {
			t.Fatalf("escapes(%b, %d, %d) = %b, %d; want %b, %d", bs, in, valid, esc, out, wantEsc, wantOut)
		}
	}
	for bs := range uint64(1 << 16) {
		for in := range uint64(2) {
			check(bs, in, 16)
			check(bs, in, int(bs%16))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(r.Uint64()&r.Uint64()|0xFF00FF00&r.Uint64(), r.Uint64N(2), 1+r.IntN(step))
	}
	check(1<<step-1, 0, step)
	check(1<<step-1, 1, step)
}

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
func streamRead(s *objectStream, r io.Reader) ([2]string, error) {
	v, err := s.read(r, "task", "verdicts")
	if err != nil {
		return [2]string{}, err
	}
	return [2]string{v[0].Raw, v[1].Raw}, nil
}

// Every document is read whole, a byte at a time, and cut in two at every
// position: the answer must not depend on where the reads end. The
// documents put quotes, escapes, keys and kept members across the cuts,
// and across the 32-byte steps of skipContainer.
func TestObjectStreamSplits(t *testing.T) {
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
	s := newObjectStream()
	for _, doc := range docs {
		want, wantErr := streamRead(s, strings.NewReader(doc))
		if spans := make([][]byte, 2); scanObject([]byte(doc), []string{"task", "verdicts"}, spans) == nil {
			// Valid JSON: the members read are what the strict scanner finds.
			if got := [2]string{string(spans[0]), string(spans[1])}; got != want || wantErr != nil {
				t.Errorf("%.60q: read %q, %v; the strict scanner found %q", doc, want, wantErr, got)
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
		{docs[8], [2]string{}, errNotJSON},
		{docs[len(docs)-4], [2]string{}, errNotJSON},
		{docs[len(docs)-1], [2]string{}, errNotJSON},
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

func TestObjectStreamDepth(t *testing.T) {
	s := newObjectStream()
	for _, member := range []string{"data", "task"} {
		// 8 MiB of open brackets: refused at the 512th level, within the
		// first window, with a fixed stack.
		doc := io.MultiReader(strings.NewReader(`{"`+member+`":`), strings.NewReader(strings.Repeat("[{\"a\":", 8<<20/6)))
		r := &countingReader{r: doc}
		if _, err := s.read(r, "task"); !errors.Is(err, errTooDeep) {
			t.Errorf("%s: got %v, want %v", member, err, errTooDeep)
		}
		if r.n > 2*streamWindow {
			t.Errorf("%s: read %d bytes before refusing, want a window or two (%d)", member, r.n, streamWindow)
		}
	}
	deepest := `{"data":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`
	if _, err := s.read(strings.NewReader(deepest), "task"); err != nil {
		t.Errorf("nesting of exactly %d levels: %v", maxJSONDepth, err)
	}
}

func TestObjectStreamReadError(t *testing.T) {
	broken := errors.New("connection reset")
	doc := benchDocument(t)
	s := newObjectStream()
	for _, cut := range []int{0, 1, 100, streamWindow, len(doc) - 1} {
		readers := []io.Reader{io.MultiReader(bytes.NewReader(doc[:cut]), iotest.ErrReader(broken))}
		if cut > 0 {
			readers = append(readers, iotest.TimeoutReader(bytes.NewReader(doc[:cut])))
		}
		for _, r := range readers {
			if _, err := decodeResult(r, s); err == nil || errors.Is(err, errNotJSON) {
				t.Errorf("cut at %d: got %v, want the read's error", cut, err)
			}
		}
	}
	if _, err := decodeResult(io.MultiReader(bytes.NewReader(doc[:100]), iotest.ErrReader(broken)), s); !errors.Is(err, broken) {
		t.Errorf("got %v, want %v", err, broken)
	}
	// A reader that never answers anything is not waited on forever.
	if _, err := decodeResult(emptyReader{}, s); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("got %v, want %v", err, io.ErrNoProgress)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// A document in flight costs the window and the members kept, not its size.
func TestObjectStreamMemory(t *testing.T) {
	doc := benchDocument(t)
	s, rd := newObjectStream(), bytes.NewReader(doc)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		rd.Reset(doc)
		if _, err := decodeResult(rd, s); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := (after.TotalAlloc - before.TotalAlloc) / runs; got > 16<<10 {
		t.Errorf("decoding a %d KiB document allocated %d bytes, want under 16 KiB", len(doc)>>10, got)
	}
}

// memberReader is a result document of about size bytes, made as it is
// read: a big data.requests first, then the members the relay keeps.
func memberReader(size int) io.Reader {
	request := []byte(`{"url":"https://example.com/a\"b","headers":{"x":"[{\\"},"sizes":[1,2,3]},`)
	return io.MultiReader(
		strings.NewReader(`{"data":{"requests":[`),
		io.LimitReader(repeatReader(request), int64(size/len(request)*len(request))),
		strings.NewReader(`{}]},"task":{"reportURL":"r"},"verdicts":{"overall":{"malicious":true}}}`))
}

type repeatedReader struct {
	b []byte
	i int
}

func repeatReader(b []byte) io.Reader { return &repeatedReader{b: b} }

func (r *repeatedReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.i:])
		n += c
		r.i = (r.i + c) % len(r.b)
	}
	return n, nil
}

// bodyTransport answers every request with a 200 and a body made by body.
type bodyTransport struct{ body func() io.Reader }

func (bt bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bt.body()), ContentLength: -1, Request: req}, nil
}

// Client.Result decodes the body as it arrives: a document of 16 MiB
// costs about a window, not 16 MiB.
func TestResultStreamsBody(t *testing.T) {
	const size = 16 << 20
	c := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
		o.Transport = bodyTransport{func() io.Reader { return memberReader(size) }}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Result(t.Context(), testKey, fixtureIDs[0])
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReportURL != "r" || !res.Malicious {
		t.Errorf("got %+v, want the kept members", res)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("a %d MiB document allocated %d KiB, want under 1 MiB", size>>20, got>>10)
	}

	// Past the document limit the answer is refused as too large, as it
	// streams.
	small := newClient(t, "http://urlscan.invalid/api/v1", func(o *Options) {
		o.Transport = bodyTransport{func() io.Reader { return memberReader(size) }}
		o.MaxDocumentBytes = 1 << 20
	})
	_, err = small.Result(t.Context(), testKey, fixtureIDs[0])
	if !errors.Is(err, errTooLarge) {
		t.Errorf("got %v, want %v", err, errTooLarge)
	}
}

// Random documents, most of them broken, from the bytes that matter to the
// structure, and the realistic document with bytes changed: the streaming
// decoder answers what the byte-by-byte reference does.
func TestObjectStreamAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := newObjectStream()
	check := func(doc []byte) {
		t.Helper()
		got, err := decodeResult(bytes.NewReader(doc), s)
		want, wantErr := referenceResult(doc)
		if !errors.Is(err, wantErr) || !reflect.DeepEqual(got, want) {
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
	big := benchDocument(t)
	for range 40 {
		doc := bytes.Clone(big)
		for range 1 + r.IntN(3) {
			doc[r.IntN(len(doc))] = alphabet[r.IntN(len(alphabet))]
		}
		check(doc)
	}
}
