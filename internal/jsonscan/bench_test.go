package jsonscan

import (
	"bytes"
	"testing"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// benchDocument is a realistic result document of about 300 KiB, mostly
// data.requests, which a reader of task and verdicts skips.
func benchDocument() []byte {
	return urlscantest.MaliciousResult(300 << 10)
}

// BenchmarkMembers measures both forms reading task and verdicts from a
// result document: streamed whole, streamed in the 16 KiB reads a TLS
// connection answers, and buffered (the whole document validated).
func BenchmarkMembers(b *testing.B) {
	doc := benchDocument()
	b.Run("streaming", func(b *testing.B) {
		s, rd := NewStream(), bytes.NewReader(doc)
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(doc)
			if _, err := s.Members(rd, "task", "verdicts"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streaming-16KiB-reads", func(b *testing.B) {
		s, rd := NewStream(), bytes.NewReader(doc)
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(doc)
			if _, err := s.Members(urlscantest.RecordReader(rd, 16<<10), "task", "verdicts"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("buffered", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Members(doc, "task", "verdicts"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
