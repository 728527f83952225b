package urlscan

import (
	"container/heap"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"urlscan-relay/internal/jsonscan"
)

// Upstream documents are untrusted and loosely typed: any field may be
// missing, a list may arrive as {} or null, a time may lack its fraction or
// its zone. The decoders below take what has the expected type and leave the
// rest at its zero value; only a document that is not a JSON object at all
// (or, for what the relay reads, not valid JSON) is an error.

// decodeSearch reads a search answer and keeps its newest size hits
// (every hit when size is 0 or less), newest first by task time, keeping
// urlscan's order among equal times, with unknown times last. A hit
// without a usable _id is dropped, because nothing can be linked to it and
// a hostile id must never reach a URL path. A hit that could not be among
// the newest size is skipped after its time is read, so an answer of a
// hundred thousand tiny hits costs size decoded hits, not all of them.
func decodeSearch(doc []byte, size int) ([]Hit, error) {
	v, err := parseObject(doc, "results")
	if err != nil {
		return nil, err
	}
	results := v[0]
	if !results.IsArray() {
		return nil, nil
	}
	if size <= 0 {
		size = math.MaxInt
	}
	var kept newestHits
	i := 0
	results.ForEach(func(_, h gjson.Result) bool {
		i++
		if !h.IsObject() {
			return true
		}
		t := parseTime(h.Get("task.time"))
		if len(kept) == size && !before(t, i, kept[0].hit.Time, kept[0].i) {
			return true
		}
		id, page, stats := hitMembers(h)
		if id.Type != gjson.String || !ValidScanID(id.Str) {
			return true
		}
		hit := rankedHit{i: i, hit: Hit{
			ID:    strings.Clone(id.Str),
			Time:  t,
			Stats: decodeStats(stats),
			Page:  pageOf(page),
		}}
		if len(kept) < size {
			heap.Push(&kept, hit)
		} else {
			kept[0] = hit
			heap.Fix(&kept, 0)
		}
		return true
	})
	if len(kept) == 0 {
		return nil, nil
	}
	slices.SortFunc(kept, func(a, b rankedHit) int {
		if before(a.hit.Time, a.i, b.hit.Time, b.i) {
			return -1
		}
		return 1
	})
	hits := make([]Hit, len(kept))
	for k := range kept {
		hits[k] = kept[k].hit
	}
	return hits, nil
}

// hitMembers reads the first _id, page and stats members of a hit in one
// pass over its members, as repeated lookups would find them.
func hitMembers(h gjson.Result) (id, page, stats gjson.Result) {
	var seen uint8
	h.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "_id":
			if seen&1 == 0 {
				id, seen = v, seen|1
			}
		case "page":
			if seen&2 == 0 {
				page, seen = v, seen|2
			}
		case "stats":
			if seen&4 == 0 {
				stats, seen = v, seen|4
			}
		}
		return seen != 7
	})
	return id, page, stats
}

// before reports whether a hit seen at at, the ai-th of its answer, comes
// before one seen at bt, the bi-th: known times first, newer first, then
// urlscan's order.
func before(at time.Time, ai int, bt time.Time, bi int) bool {
	switch {
	case at.IsZero() != bt.IsZero():
		return !at.IsZero()
	case !at.Equal(bt):
		return at.After(bt)
	default:
		return ai < bi
	}
}

// rankedHit is a hit with its place in the answer.
type rankedHit struct {
	hit Hit
	i   int
}

// newestHits is a heap whose root is the hit that comes last, the one to
// give up when a newer one arrives.
type newestHits []rankedHit

func (h newestHits) Len() int { return len(h) }
func (h newestHits) Less(a, b int) bool {
	return before(h[b].hit.Time, h[b].i, h[a].hit.Time, h[a].i)
}
func (h newestHits) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *newestHits) Push(x any)   { *h = append(*h, x.(rankedHit)) }
func (h *newestHits) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// decodeStats keeps the integer members of a stats object, in the order
// urlscan sent them, up to maxStats; a repeated name keeps its first value.
// Each becomes a CTIM column of type integer, so a number that is not an
// int64 integer (1.5, 1e999) is left out rather than passed on.
// An object without any is an empty, non-nil list (its sighting gets the
// original's empty table); anything but an object is nil.
func decodeStats(v gjson.Result) []Stat {
	if !v.IsObject() {
		return nil
	}
	stats := make([]Stat, 0, len(statNames))
	v.ForEach(func(k, n gjson.Result) bool {
		if len(stats) == maxStats {
			return false
		}
		if n.Type != gjson.Number || !validStat(k.Str, n.Raw) {
			return true
		}
		for _, s := range stats {
			if s.Name == k.Str {
				return true
			}
		}
		stats = append(stats, Stat{Name: statName(k.Str), Value: json.Number(strings.Clone(n.Raw))})
		return true
	})
	return stats
}

// statNames are the stats urlscan sends with every hit. Their names are
// kept as these constants rather than copied, one copy fewer per stat.
var statNames = [...]string{"uniqIPs", "uniqCountries", "dataLength", "encodedDataLength", "requests", "consoleMsgs"}

// statName is name as a string of its own: the constant when urlscan
// always sends it, else a copy.
func statName(name string) string {
	for _, n := range statNames {
		if n == name {
			return n
		}
	}
	return strings.Clone(name)
}

// decodeResult reads a scan's result document from r as it arrives,
// keeping only task, verdicts.overall and page. It checks the structure of
// the rest (data.requests, most of the document) and not its content: what
// jsonscan.Stream checks, and why, is in its package documentation.
func decodeResult(r io.Reader, s *jsonscan.Stream) (*Result, error) {
	raw, err := s.Members(r, "task", "verdicts", "page")
	if err != nil {
		return nil, err
	}
	v := parsed(raw)
	return resultOf(v[0], v[1], v[2]), nil
}

// resultOf is the Result of a document's task, verdicts and page members.
func resultOf(task, verdicts, page gjson.Result) *Result {
	overall := verdicts.Get("overall")
	return &Result{
		Page:          pageOf(page),
		Time:          parseTime(task.Get("time")),
		ReportURL:     bounded(str(task.Get("reportURL")), maxLinkBytes),
		ScreenshotURL: bounded(str(task.Get("screenshotURL")), maxLinkBytes),
		DomURL:        bounded(str(task.Get("domURL")), maxLinkBytes),
		Malicious:     overall.Get("malicious").Type == gjson.True,
		Tags:          strs(overall.Get("tags")),
		Categories:    strs(overall.Get("categories")),
	}
}

// decodeScan reads the answer to a scan submission.
func decodeScan(doc []byte) (*ScanResponse, error) {
	v, err := parseObject(doc, "uuid", "result", "api", "visibility", "url", "message")
	if err != nil {
		return nil, err
	}
	f := func(v gjson.Result) string { return bounded(str(v), maxScanFieldBytes) }
	return &ScanResponse{
		UUID:       f(v[0]),
		Result:     f(v[1]),
		API:        f(v[2]),
		Visibility: f(v[3]),
		URL:        f(v[4]),
		Message:    f(v[5]),
	}, nil
}

// pageOf is the Page of a hit's or a document's page member, each field
// within its bound.
func pageOf(page gjson.Result) Page {
	var (
		url, domain, ip gjson.Result
		seen            uint8
	)
	if page.IsObject() {
		// One pass over the members, keeping the first of each name as
		// a lookup would.
		page.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "url":
				if seen&1 == 0 {
					url, seen = v, seen|1
				}
			case "domain":
				if seen&2 == 0 {
					domain, seen = v, seen|2
				}
			case "ip":
				if seen&4 == 0 {
					ip, seen = v, seen|4
				}
			}
			return seen != 7
		})
	}
	return Page{
		URL:    bounded(str(url), maxURLBytes),
		Domain: bounded(str(domain), maxDomainBytes),
		IP:     bounded(str(ip), maxIPBytes),
	}
}

// str is v when v is a JSON string, else "". It is a copy: gjson's strings
// point into the whole member they were read from, which a cached value
// would otherwise keep alive.

func str(v gjson.Result) string {
	if v.Type != gjson.String {
		return ""
	}
	return strings.Clone(v.Str)
}

// strs keeps the strings of a JSON array, at most maxTags of them and
// each at most maxTagBytes long; anything else is an empty list.
func strs(v gjson.Result) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	v.ForEach(func(_, e gjson.Result) bool {
		if len(out) == maxTags {
			return false
		}
		if e.Type == gjson.String && len(e.Str) <= maxTagBytes {
			out = append(out, strings.Clone(e.Str))
		}
		return true
	})
	return out
}

// parseTime reads an urlscan time in UTC: RFC 3339 with or without a
// fraction, or the same without a zone (taken as UTC). Anything else is the
// zero time.
func parseTime(v gjson.Result) time.Time {
	if v.Type != gjson.String {
		return time.Time{}
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v.Str); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
