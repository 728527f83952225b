package relay

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"urlscan-relay/internal/urlscan"
)

// The values the caches share through Redis (search answers and result
// summaries) are written in protobuf's wire format, field by field through
// protowire, and read back without reflection: a replica serving a request
// from Redis decodes 44 of them, and a reflective decoder was a quarter of
// that replica's CPU (docs/BENCHMARKS.md). Every string a value holds is a
// slice of one copy of its bytes, so a value costs a handful of
// allocations whatever its fields.
//
// The reader takes only what the writer writes: a field it does not know,
// a known one of the wrong type or repeated, a truncated length or a time
// outside the years 1–9999 refuses the whole value, which the caller then
// treats as a miss. The urlscan bounds (CheckHits, CheckResult) apply after.

// Fields of a search answer: one nested hit each.
const wireHit protowire.Number = 1

// Fields of a hit.
const (
	hitID protowire.Number = 1 + iota
	hitTime
	hitStat
	hitStatsKept // 1 when the hit has a stats list, even an empty one
	hitPage
)

// Fields of a stat.
const (
	statName protowire.Number = 1 + iota
	statValue
)

// Fields of a result summary. A deleted scan's nil summary is the empty
// value; any other carries resultPresent first.
const (
	resultPresent protowire.Number = 1 + iota
	resultTime
	resultReport
	resultScreenshot
	resultDom
	resultMalicious
	resultTag
	resultTagsKept // 1 when tags is a list, even an empty one
	resultCategory
	resultCategoriesKept
	resultPage
)

// Fields of a page and of a time.
const (
	pageURL protowire.Number = 1 + iota
	pageDomain
	pageIP
)
const (
	timeSeconds protowire.Number = 1 + iota // since 1970, zigzag
	timeNanos
)

// maxWireHits bounds the hits of one cached search answer, as the decoder
// it replaced bounded its lists.
const maxWireHits = 1 << 16

// The years a time can have: what RFC 3339 can write, and time.Parse read.
var (
	firstSecond = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	lastSecond  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

var errWire = errors.New("cache: not a value this relay wrote")

// appendHits writes a search answer.
func appendHits(b []byte, hits []urlscan.Hit) []byte {
	for i := range hits {
		h := &hits[i]
		b = nested(b, wireHit, func(b []byte) []byte {
			b = appendString(b, hitID, h.ID)
			b = appendTime(b, hitTime, h.Time)
			for _, s := range h.Stats {
				b = nested(b, hitStat, func(b []byte) []byte {
					return appendString(appendString(b, statName, s.Name), statValue, string(s.Value))
				})
			}
			b = appendFlag(b, hitStatsKept, h.Stats != nil)
			return appendPage(b, hitPage, h.Page)
		})
	}
	return b
}

// appendResult writes a result summary.
func appendResult(b []byte, r *urlscan.Result) []byte {
	if r == nil {
		return b
	}
	b = appendFlag(b, resultPresent, true)
	b = appendTime(b, resultTime, r.Time)
	b = appendString(b, resultReport, r.ReportURL)
	b = appendString(b, resultScreenshot, r.ScreenshotURL)
	b = appendString(b, resultDom, r.DomURL)
	b = appendFlag(b, resultMalicious, r.Malicious)
	for _, t := range r.Tags {
		b = appendElement(b, resultTag, t)
	}
	b = appendFlag(b, resultTagsKept, r.Tags != nil)
	for _, c := range r.Categories {
		b = appendElement(b, resultCategory, c)
	}
	b = appendFlag(b, resultCategoriesKept, r.Categories != nil)
	return appendPage(b, resultPage, r.Page)
}

// appendString writes a string field; an empty one is left out, as the
// reader's zero value.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendElement(b, num, s)
}

// appendElement writes one string of a list, even an empty one: a list
// of one "" is not an empty list.
func appendElement(b []byte, num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

func appendFlag(b []byte, num protowire.Number, on bool) []byte {
	if !on {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), 1)
}

func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return nested(b, num, func(b []byte) []byte {
		b = protowire.AppendTag(b, timeSeconds, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(t.Unix()))
		if ns := t.Nanosecond(); ns != 0 {
			b = protowire.AppendTag(b, timeNanos, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(ns))
		}
		return b
	})
}

func appendPage(b []byte, num protowire.Number, p urlscan.Page) []byte {
	if p == (urlscan.Page{}) {
		return b
	}
	return nested(b, num, func(b []byte) []byte {
		return appendString(appendString(appendString(b, pageURL, p.URL), pageDomain, p.Domain), pageIP, p.IP)
	})
}

// nested writes a message field: what content appends, behind its length.
func nested(b []byte, num protowire.Number, content func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = content(b)
	var size [binary.MaxVarintLen64]byte
	return slices.Insert(b, start, protowire.AppendVarint(size[:0], uint64(len(b)-start))...)
}

// wireValue is one value being read: its bytes, and one string copy of
// them that every string field is a slice of.
type wireValue struct {
	b []byte
	s string
}

// field is one field of a message: its varint, or where its bytes are.
type field struct {
	num      protowire.Number
	typ      protowire.Type
	v        uint64
	off, end int // the bytes of a length-delimited field, in wireValue.b
}

// fields calls each for every field of the message at b[off:end], in order,
// and refuses a message that repeats a field not in repeated (a bit per
// field number) or is not well formed.
func (w wireValue) fields(off, end int, repeated uint32, each func(field) error) error {
	var seen uint32
	for pos := off; pos < end; {
		num, typ, n := protowire.ConsumeTag(w.b[pos:end])
		if n < 0 || num >= 32 {
			return errWire
		}
		pos += n
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(w.b[pos:end])
		case protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(w.b[pos:end])
			f.off, f.end = pos+n-len(v), pos+n
		default:
			return errWire
		}
		if n < 0 {
			return errWire
		}
		pos += n
		bit := uint32(1) << num
		if seen&bit != 0 && repeated&bit == 0 {
			return errWire
		}
		seen |= bit
		if err := each(f); err != nil {
			return err
		}
	}
	return nil
}

// message calls each for every field of the nested message m, which must
// be length-delimited; repeated is as for fields.
func (w wireValue) message(m field, repeated uint32, each func(field) error) error {
	if m.typ != protowire.BytesType {
		return errWire
	}
	return w.fields(m.off, m.end, repeated, each)
}

func (w wireValue) str(f field) (string, error) {
	if f.typ != protowire.BytesType {
		return "", errWire
	}
	return w.s[f.off:f.end], nil
}

func (f field) flag() (bool, error) {
	if f.typ != protowire.VarintType {
		return false, errWire
	}
	return f.v != 0, nil
}

// readHits reads a search answer; no hits is nil.
func readHits(b []byte) ([]urlscan.Hit, error) {
	w := wireValue{b: b, s: string(b)}
	var hits []urlscan.Hit
	err := w.fields(0, len(b), 1<<wireHit, func(f field) error {
		if f.num != wireHit || len(hits) == maxWireHits {
			return errWire
		}
		h, err := w.hit(f)
		hits = append(hits, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return hits, nil
}

func (w wireValue) hit(m field) (h urlscan.Hit, err error) {
	err = w.message(m, 1<<hitStat, func(f field) error {
		var err error
		switch f.num {
		case hitID:
			h.ID, err = w.str(f)
		case hitTime:
			h.Time, err = w.time(f)
		case hitStat:
			var s urlscan.Stat
			s, err = w.stat(f)
			if h.Stats == nil {
				h.Stats = make([]urlscan.Stat, 0, 8)
			}
			h.Stats = append(h.Stats, s)
		case hitStatsKept:
			h.Stats, err = keptList(h.Stats, f)
		case hitPage:
			h.Page, err = w.page(f)
		default:
			err = errWire
		}
		return err
	})
	return h, err
}

func (w wireValue) stat(m field) (s urlscan.Stat, err error) {
	err = w.message(m, 0, func(f field) error {
		var err error
		switch f.num {
		case statName:
			s.Name, err = w.str(f)
		case statValue:
			var v string
			v, err = w.str(f)
			s.Value = json.Number(v)
		default:
			err = errWire
		}
		return err
	})
	return s, err
}

// readResult reads a result summary; the empty value is a deleted scan's nil.
func readResult(b []byte) (*urlscan.Result, error) {
	if len(b) == 0 {
		return nil, nil
	}
	w := wireValue{b: b, s: string(b)}
	r := &urlscan.Result{}
	present := false
	err := w.fields(0, len(b), 1<<resultTag|1<<resultCategory, func(f field) error {
		var err error
		switch f.num {
		case resultPresent:
			present, err = f.flag()
		case resultTime:
			r.Time, err = w.time(f)
		case resultReport:
			r.ReportURL, err = w.str(f)
		case resultScreenshot:
			r.ScreenshotURL, err = w.str(f)
		case resultDom:
			r.DomURL, err = w.str(f)
		case resultMalicious:
			r.Malicious, err = f.flag()
		case resultTag:
			r.Tags, err = w.appendStr(r.Tags, f)
		case resultTagsKept:
			r.Tags, err = keptList(r.Tags, f)
		case resultCategory:
			r.Categories, err = w.appendStr(r.Categories, f)
		case resultCategoriesKept:
			r.Categories, err = keptList(r.Categories, f)
		case resultPage:
			r.Page, err = w.page(f)
		default:
			err = errWire
		}
		return err
	})
	if err != nil || !present {
		return nil, errWire
	}
	return r, nil
}

// keptList is list after a "kept" field: an empty list rather than none
// when the field is set and no element came.
func keptList[T any](list []T, f field) ([]T, error) {
	kept, err := f.flag()
	if kept && list == nil {
		list = []T{}
	}
	return list, err
}

func (w wireValue) appendStr(list []string, f field) ([]string, error) {
	s, err := w.str(f)
	return append(list, s), err
}

func (w wireValue) page(m field) (p urlscan.Page, err error) {
	err = w.message(m, 0, func(f field) error {
		var err error
		switch f.num {
		case pageURL:
			p.URL, err = w.str(f)
		case pageDomain:
			p.Domain, err = w.str(f)
		case pageIP:
			p.IP, err = w.str(f)
		default:
			err = errWire
		}
		return err
	})
	return p, err
}

// time reads a time in UTC, as the decoders of urlscan's answers keep
// them; one of the zero time's instant is the zero time itself.
func (w wireValue) time(m field) (time.Time, error) {
	var sec, ns int64
	err := w.message(m, 0, func(f field) error {
		switch {
		case f.typ != protowire.VarintType:
			return errWire
		case f.num == timeSeconds:
			sec = protowire.DecodeZigZag(f.v)
		case f.num == timeNanos && f.v < uint64(time.Second):
			ns = int64(f.v)
		default:
			return errWire
		}
		return nil
	})
	if err != nil || sec < firstSecond || sec > lastSecond {
		return time.Time{}, errWire
	}
	t := time.Unix(sec, ns).UTC()
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t, nil
}
