package urlscan

import (
	"bytes"
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
	if size <= 0 {
		size = math.MaxInt
	}
	var kept newestHits
	i := 0
	// One pass checks the whole answer and reads what is kept on the way
	// (docs/BENCHMARKS.md: validating first, then walking the hits, read
	// each of their bytes three or four times).
	w := jsonscan.NewWalk(doc)
	found := false
	err := w.Document(func(name []byte, at int) (int, error) {
		if found || string(memberName(name)) != "results" {
			return 0, nil
		}
		found = true
		if doc[at] != '[' {
			return 0, nil // results not a list: no hits
		}
		return w.Array(at, func(at int) (int, error) {
			i++
			if doc[at] != '{' {
				return 0, nil // a hit that is no object has no members, so no id
			}
			var m hitMembers
			end, err := m.read(w, doc, at)
			if err != nil {
				return 0, err
			}
			t := parseTimeText(text(m.time))
			if len(kept) == size && !before(t, i, kept[0].hit.Time, kept[0].i) {
				return end, nil
			}
			id := text(m.id)
			if !ValidScanID(id) {
				return end, nil
			}
			hit := rankedHit{i: i, hit: Hit{ID: id, Time: t, Stats: decodeStats(m.stats), Page: pageOf(m.page)}}
			if len(kept) < size {
				heap.Push(&kept, hit)
			} else {
				kept[0] = hit
				heap.Fix(&kept, 0)
			}
			return end, nil
		})
	})
	if err != nil {
		return nil, err
	}
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

// hitMembers are the raw values decodeSearch keeps of one hit: the first
// task's time, and the first _id, page and stats.
type hitMembers struct {
	taskSeen              bool
	time, id, page, stats []byte
}

// read walks the hit that starts at doc[at] with w, and returns where it
// ends.
func (m *hitMembers) read(w *jsonscan.Walk, doc []byte, at int) (int, error) {
	return w.Object(at, func(name []byte, at int) (int, error) {
		var kept *[]byte
		switch string(memberName(name)) {
		case "task":
			first := !m.taskSeen
			m.taskSeen = true
			if !first || doc[at] != '{' {
				return 0, nil
			}
			return w.Object(at, func(name []byte, at int) (int, error) {
				if m.time != nil || string(memberName(name)) != "time" {
					return 0, nil
				}
				end, err := w.Value(at)
				if err == nil {
					m.time = doc[at:end]
				}
				return end, err
			})
		case "_id":
			kept = &m.id
		case "page":
			kept = &m.page
		case "stats":
			kept = &m.stats
		default:
			return 0, nil
		}
		end, err := w.Value(at)
		if err == nil && *kept == nil {
			*kept = doc[at:end]
		}
		return end, err
	})
}

// pageFields are the members pageOf reads of a page, in the order
// firstMembers fills them.
var pageFields = []string{"url", "domain", "ip"}

// firstMembers sets values[k] to the raw value of the first member of the
// raw object obj called names[k] (escapes in names decoded, as gjson
// matches them), and leaves nil those obj lacks; anything but an object
// has none. obj is a value already checked (by a Walk, or by a Stream as a wanted member).
func firstMembers(obj []byte, names []string, values [][]byte) {
	if len(obj) == 0 || obj[0] != '{' {
		return
	}
	left := len(names)
	_ = jsonscan.EachMember(obj, func(name, v []byte) bool {
		k := memberName(name)
		for i, n := range names {
			if values[i] == nil && string(k) == n {
				values[i] = v
				left--
				break
			}
		}
		return left > 0
	})
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
func decodeStats(raw []byte) []Stat {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	stats := make([]Stat, 0, len(statNames))
	_ = jsonscan.EachMember(raw, func(name, n []byte) bool {
		if len(stats) == maxStats {
			return false
		}
		if n[0] != '-' && (n[0] < '0' || n[0] > '9') {
			return true // not a number
		}
		k := memberName(name)
		if !validStat(string(k), string(n)) {
			return true
		}
		for _, s := range stats {
			if s.Name == string(k) {
				return true
			}
		}
		stats = append(stats, Stat{Name: statName(k), Value: json.Number(n)})
		return true
	})
	return stats
}

// statNames are the stats urlscan sends with every hit. Their names are
// kept as these constants rather than copied, one copy fewer per stat.
var statNames = [...]string{"uniqIPs", "uniqCountries", "dataLength", "encodedDataLength", "requests", "consoleMsgs"}

// statName is name as a string of its own: the constant when urlscan
// always sends it, else a copy.
func statName(name []byte) string {
	for _, n := range statNames {
		if n == string(name) {
			return n
		}
	}
	return string(name)
}

// memberName is a member's name with its escapes decoded, as gjson
// decodes them: name itself when it has none.
func memberName(name []byte) []byte {
	if bytes.IndexByte(name, '\\') < 0 {
		return name
	}
	return []byte(gjson.Parse(`"` + string(name) + `"`).Str)
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
	v := parsed(raw[:2])
	return resultOf(v[0], v[1], raw[2]), nil
}

// resultOf is the Result of a document's task, verdicts and (raw) page
// members.
func resultOf(task, verdicts gjson.Result, page []byte) *Result {
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

// pageOf is the Page of a hit's or a document's raw page member, each
// field within its bound: the first of each name, as a lookup would find
// it.
func pageOf(raw []byte) Page {
	var v [3][]byte
	firstMembers(raw, pageFields, v[:])
	return Page{
		URL:    bounded(text(v[0]), maxURLBytes),
		Domain: bounded(text(v[1]), maxDomainBytes),
		IP:     bounded(text(v[2]), maxIPBytes),
	}
}

// text is the raw JSON value v as a string of its own when it is a JSON
// string, else "".
func text(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	return gjson.ParseBytes(v).Str // escapes decoded as gjson decodes them
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
	return parseTimeText(v.Str)
}

// parseTimeText is parseTime of a string's text; "" is the zero time.
func parseTimeText(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
