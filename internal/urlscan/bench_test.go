package urlscan

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"testing/iotest"

	"urlscan-relay/internal/jsonscan"
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
	raw, err := jsonscan.Members(doc, "task", "verdicts", "page")
	if err != nil {
		return nil, err
	}
	v := parsed(raw[:2])
	return resultOf(v[0], v[1], raw[2]), nil
}

// decodeResultBytes streams doc through a new jsonscan.Stream.
func decodeResultBytes(doc []byte) (*Result, error) {
	return decodeResult(bytes.NewReader(doc), jsonscan.NewStream())
}

// benchDocument is a realistic ~300 KiB result document, malicious so that
// every kept field is filled.
func benchDocument() []byte {
	return urlscantest.MaliciousResult(300 << 10)
}

func TestResultDecodersAgree(t *testing.T) {
	doc := benchDocument()
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
		{"16KiB reads", urlscantest.RecordReader(bytes.NewReader(doc), 16<<10)},
		{"odd reads", urlscantest.RecordReader(bytes.NewReader(doc), 4093)},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(doc))},
	}
	s := jsonscan.NewStream()
	for _, rd := range readers {
		got, err := decodeResult(rd.r, s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, %v; want %+v", rd.name, got, err, want)
		}
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	doc := benchDocument()
	b.Run("streaming", func(b *testing.B) {
		s, rd := jsonscan.NewStream(), bytes.NewReader(doc)
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
		s, rd := jsonscan.NewStream(), bytes.NewReader(doc)
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(doc)
			if _, err := decodeResult(urlscantest.RecordReader(rd, 16<<10), s); err != nil {
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

// popularSearch is the fake's answer to a search with 100 hits, the popular
// scenario's, and the default entities limit.
func popularSearch(b *testing.B) []byte {
	fake := urlscantest.NewServer(urlscantest.Options{Hits: 100})
	defer fake.Close()
	resp, err := http.Get(fake.URL + "/search/?size=100&q=" + url.QueryEscape(`page.domain:"popular.example"`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("search: %d %v", resp.StatusCode, err)
	}
	return doc
}

// BenchmarkDecodeSearch measures a 100-hit search answer's decoding.
func BenchmarkDecodeSearch(b *testing.B) {
	doc := popularSearch(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		hits, err := decodeSearch(doc, 100)
		if err != nil || len(hits) != 100 {
			b.Fatalf("%d hits, %v", len(hits), err)
		}
	}
}
