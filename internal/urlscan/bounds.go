package urlscan

import (
	"errors"
	"fmt"
	"strconv"
)

// The bounds of what the relay keeps from an answer. urlscan.io's own
// values sit far inside them; a value past its bound is dropped rather than
// cut, because a cut URL or name would be wrong, not just short. They
// hold for values decoded from urlscan.io and for values read back from
// the shared cache alike (CheckHits, CheckResult).
const (
	// maxURLBytes bounds a scanned page's URL: long tracking links run to a
	// few KiB; a CTIM observable of megabytes helps no analyst.
	maxURLBytes = 8 << 10
	// maxLinkBytes bounds urlscan.io's own links (reportURL, domURL,
	// screenshotURL), which are under 100 bytes.
	maxLinkBytes = 2 << 10
	// maxDomainBytes is the longest DNS name; maxIPBytes the longest
	// textual IPv6 address (IPv4-mapped).
	maxDomainBytes = 253
	maxIPBytes     = 45
	// maxStats bounds the stats kept per hit: urlscan sends five, and each
	// becomes a table column; a hostile answer with thousands must cost
	// neither quadratic time nor a table nobody can read.
	maxStats         = 32
	maxStatNameBytes = 64
	// maxIntegerBytes is the longest int64 in decimal, sign included.
	maxIntegerBytes = 20
	// maxTags bounds tags and categories per result, maxTagBytes each one.
	maxTags     = 32
	maxTagBytes = 128
	// maxScanFieldBytes bounds each field of a scan submission's answer.
	maxScanFieldBytes = 2 << 10
)

// Search answers are capped by the hits asked for: about 1.2 KB a hit in
// urlscan.io's answers, so searchBytesPerHit leaves room for hits whose
// URLs reach maxURLBytes while a hostile answer stops far short of the
// document limit.
const (
	searchBytesBase   = 256 << 10
	searchBytesPerHit = 8 << 10
	// defaultSearchSize is what urlscan.io answers when no size is asked.
	defaultSearchSize = 100
)

// searchLimit is the largest search answer read for size hits, at most
// maxDoc.
func searchLimit(size int, maxDoc int64) int64 {
	if size <= 0 {
		size = defaultSearchSize
	}
	return min(searchBytesBase+int64(size)*searchBytesPerHit, maxDoc)
}

// bounded is s when it fits in max bytes, else "".
func bounded(s string, max int) string {
	if len(s) > max {
		return ""
	}
	return s
}

// validInteger reports whether s is a JSON integer that fits an int64,
// written as JSON writes it (no plus sign, no leading zeros): what a CTIM
// column of type integer may hold.
func validInteger(s string) bool {
	if s == "" || len(s) > maxIntegerBytes {
		return false
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
	}
	if d == "" || d[0] == '0' && len(d) > 1 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

var errOutOfBounds = errors.New("urlscan: value out of bounds")

// CheckHits reports whether hits hold only what decoding an urlscan.io
// answer could have produced: valid scan ids, strings and lists within
// their bounds, integer stats. Values from outside the process (the shared
// cache) pass it before use.
func CheckHits(hits []Hit) error {
	for i, h := range hits {
		switch {
		case !ValidScanID(h.ID):
			return fmt.Errorf("hit %d: invalid scan id: %w", i, errOutOfBounds)
		case !pageWithin(h.Page):
			return fmt.Errorf("hit %d: page field too long: %w", i, errOutOfBounds)
		case len(h.Stats) > maxStats:
			return fmt.Errorf("hit %d: %d stats: %w", i, len(h.Stats), errOutOfBounds)
		}
		for _, s := range h.Stats {
			if !validStat(s.Name, string(s.Value)) {
				return fmt.Errorf("hit %d: invalid stat: %w", i, errOutOfBounds)
			}
		}
	}
	return nil
}

// pageWithin reports whether every field of p is within its bound (what
// pageOf keeps).
func pageWithin(p Page) bool {
	return len(p.URL) <= maxURLBytes && len(p.Domain) <= maxDomainBytes && len(p.IP) <= maxIPBytes
}

// validStat reports whether a stat's name and raw value are within what
// decodeStats keeps: a named integer.
func validStat(name, raw string) bool {
	return name != "" && len(name) <= maxStatNameBytes && validInteger(raw)
}

// CheckResult is CheckHits for a result document; nil (a deleted scan) is
// valid.
func CheckResult(r *Result) error {
	if r == nil {
		return nil
	}
	if len(r.ReportURL) > maxLinkBytes || len(r.ScreenshotURL) > maxLinkBytes || len(r.DomURL) > maxLinkBytes {
		return fmt.Errorf("result: link too long: %w", errOutOfBounds)
	}
	if !pageWithin(r.Page) {
		return fmt.Errorf("result: page field too long: %w", errOutOfBounds)
	}
	for _, list := range [...][]string{r.Tags, r.Categories} {
		if len(list) > maxTags {
			return fmt.Errorf("result: %d tags: %w", len(list), errOutOfBounds)
		}
		for _, t := range list {
			if len(t) > maxTagBytes {
				return fmt.Errorf("result: tag too long: %w", errOutOfBounds)
			}
		}
	}
	return nil
}
