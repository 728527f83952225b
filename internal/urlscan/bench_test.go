package urlscan

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// BenchmarkDecodeResult measures the streaming decoder of result documents
// against the one it replaced, which buffered the whole document and
// validated every byte of it. Both were also measured, at first, against
// encoding/json into a lenient struct and plain gjson (validate, then one
// lookup per member): those were 4 to 8 times slower than the strict
// scanner, and are gone.

// decodeResultStrict is the decoder result documents had before they were
// streamed: the whole document, validated as JSON in full. It is the
// reference the streaming decoder is measured and fuzzed against.
func decodeResultStrict(doc []byte) (*Result, error) {
	v, err := parseObject(doc, "task", "verdicts")
	if err != nil {
		return nil, err
	}
	return resultOf(v[0], v[1]), nil
}

// decodeResultBytes streams doc through a new objectStream.
func decodeResultBytes(doc []byte) (*Result, error) {
	return decodeResult(bytes.NewReader(doc), newObjectStream())
}

// recordReader answers reads of at most max bytes, as a TLS connection
// answers one record (16 KiB at most) per read.
type recordReader struct {
	r   io.Reader
	max int
}

func (r *recordReader) Read(p []byte) (int, error) {
	return r.r.Read(p[:min(len(p), r.max)])
}

// benchDocument is a realistic ~300 KiB result document, malicious so that
// every kept field is filled.
func benchDocument(tb testing.TB) []byte {
	for _, id := range []string{"0c8b1a1e-55c3-4f6e-9d0a-3f2b7c9e4d11", "7d3e2f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "e4b1c2d3-0f1e-4a5b-9c6d-7e8f9a0b1c2d", "13cde17f-a7f5-4e27-8a56-5e81bc086a37"} {
		doc := urlscantest.GenerateResult(id, 300<<10)
		if r, err := decodeResultStrict(doc); err == nil && r.Malicious {
			return doc
		}
	}
	tb.Fatal("no malicious generated document among the candidates")
	return nil
}

func TestResultDecodersAgree(t *testing.T) {
	doc := benchDocument(t)
	want, err := decodeResultStrict(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want.Time.IsZero() || want.ReportURL == "" || len(want.Categories) == 0 {
		t.Fatalf("generated document decoded to %+v, want every field", want)
	}
	readers := []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(doc)},
		{"16KiB reads", &recordReader{bytes.NewReader(doc), 16 << 10}},
		{"odd reads", &recordReader{bytes.NewReader(doc), 4093}},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(doc))},
	}
	s := newObjectStream()
	for _, rd := range readers {
		got, err := decodeResult(rd.r, s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, %v; want %+v", rd.name, got, err, want)
		}
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	doc := benchDocument(b)
	b.Run("streaming", func(b *testing.B) {
		s, rd := newObjectStream(), bytes.NewReader(doc)
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(doc)
			if _, err := decodeResult(rd, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streaming-16KiB-reads", func(b *testing.B) {
		s, rd := newObjectStream(), bytes.NewReader(doc)
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(doc)
			if _, err := decodeResult(&recordReader{rd, 16 << 10}, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict-buffered", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeResultStrict(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
