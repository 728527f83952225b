package rediscache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/urlscan"
)

// envelope is what the cache adds around a codec's bytes (a version byte
// and the expiry).
const envelope = 1 + 8

// TestBoundsHoldWhatTheRelayWrites holds the derivation of bounds.go: a
// result summary at every bound urlscan.io's answers are held to, and a
// search answer of 10,000 hits shaped like urlscan.io's, encoded as the
// relay encodes them, fit their kind's bound.
func TestBoundsHoldWhatTheRelayWrites(t *testing.T) {
	page := urlscan.Page{URL: "https://" + strings.Repeat("u", 8<<10-8), Domain: strings.Repeat("d", 253), IP: strings.Repeat("f", 45)}
	tags := make([]string, 32)
	for i := range tags {
		tags[i] = strings.Repeat("t", 128)
	}
	link := "https://urlscan.io/" + strings.Repeat("l", 2<<10-19)
	worst := &urlscan.Result{
		Time: time.Now(), ReportURL: link, ScreenshotURL: link, DomURL: link,
		Malicious: true, Tags: tags, Categories: tags, Page: page,
	}
	if err := urlscan.CheckResult(worst); err != nil {
		t.Fatalf("the largest result is not one urlscan.io's could decode to: %v", err)
	}
	b, err := relay.ResultCodec{}.Marshal(worst)
	if err != nil {
		t.Fatal(err)
	}
	largest := envelope + len(b)
	if largest > maxResultBytes {
		t.Errorf("the largest result summary is %d bytes stored, past maxResultBytes (%d)", largest, maxResultBytes)
	}

	hits := make([]urlscan.Hit, relay.DefaultMaxAnswerHits)
	for i := range hits {
		hits[i] = urlscan.Hit{
			ID:   fmt.Sprintf("0196%04x-8f2c-7bd1-9a3e-%012x", i%0x10000, i),
			Time: time.Date(2026, 11, 30, 12, 0, i%60, 123_000_000, time.UTC),
			Stats: []urlscan.Stat{
				{Name: "uniqIPs", Value: "12"}, {Name: "uniqCountries", Value: "3"},
				{Name: "dataLength", Value: "2345678"}, {Name: "encodedDataLength", Value: "1234567"},
				{Name: "requests", Value: "87"},
			},
			Page: urlscan.Page{URL: fmt.Sprintf("https://www.example-%d.com/some/path/index.html?q=1", i), Domain: fmt.Sprintf("www.example-%d.com", i), IP: "2606:4700:4700::1111"},
		}
	}
	if err := urlscan.CheckHits(hits); err != nil {
		t.Fatalf("the hits are not ones urlscan.io's could decode to: %v", err)
	}
	b, err = relay.HitsCodec{}.Marshal(hits)
	if err != nil {
		t.Fatal(err)
	}
	search := envelope + len(b)
	if search > maxSearchBytes {
		t.Errorf("a search answer of %d hits is %d bytes stored, past maxSearchBytes (%d)", len(hits), search, maxSearchBytes)
	}
	t.Logf("largest result summary %d bytes; %d hits like urlscan.io's %d bytes", largest, len(hits), search)
}
