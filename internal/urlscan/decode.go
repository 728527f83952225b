package urlscan

import (
	"cmp"
	"encoding/json"
	"io"
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

// decodeSearch reads a search answer. Hits come in the order urlscan sent
// them; a hit without a usable _id is dropped, because nothing can be linked
// to it and a hostile id must never reach a URL path.
func decodeSearch(doc []byte) ([]Hit, error) {
	v, err := parseObject(doc, "results")
	if err != nil {
		return nil, err
	}
	results := v[0]
	if !results.IsArray() {
		return nil, nil
	}
	var hits []Hit
	results.ForEach(func(_, h gjson.Result) bool {
		if !h.IsObject() {
			return true
		}
		id := str(h.Get("_id"))
		if !ValidScanID(id) {
			return true
		}
		page := h.Get("page")
		hits = append(hits, Hit{
			ID:    id,
			Time:  parseTime(h.Get("task.time")),
			Stats: decodeStats(h.Get("stats")),
			Page:  Page{URL: str(page.Get("url")), Domain: str(page.Get("domain")), IP: str(page.Get("ip"))},
		})
		return true
	})
	return hits, nil
}

// sortHits orders hits newest first by task time, keeping urlscan's order
// among equal times, with unknown times last.
func sortHits(hits []Hit) {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Time.IsZero() || b.Time.IsZero():
			return cmp.Compare(boolInt(a.Time.IsZero()), boolInt(b.Time.IsZero()))
		default:
			return b.Time.Compare(a.Time)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxStats bounds the stats kept per hit: urlscan sends five, and each
// becomes a table column; a hostile answer with thousands must cost neither
// quadratic time nor a table nobody can read.
const maxStats = 32

// decodeStats keeps the numeric members of a stats object, in the order
// urlscan sent them, up to maxStats; a repeated name keeps its first value.
// An object without any is an empty, non-nil list (its sighting gets the
// original's empty table); anything but an object is nil.
func decodeStats(v gjson.Result) []Stat {
	if !v.IsObject() {
		return nil
	}
	stats := []Stat{}
	v.ForEach(func(k, n gjson.Result) bool {
		if len(stats) == maxStats {
			return false
		}
		if n.Type != gjson.Number {
			return true
		}
		for _, s := range stats {
			if s.Name == k.Str {
				return true
			}
		}
		stats = append(stats, Stat{Name: strings.Clone(k.Str), Value: json.Number(strings.Clone(n.Raw))})
		return true
	})
	return stats
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
		Page:          Page{URL: str(page.Get("url")), Domain: str(page.Get("domain")), IP: str(page.Get("ip"))},
		Time:          parseTime(task.Get("time")),
		ReportURL:     str(task.Get("reportURL")),
		ScreenshotURL: str(task.Get("screenshotURL")),
		DomURL:        str(task.Get("domURL")),
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
	return &ScanResponse{
		UUID:       str(v[0]),
		Result:     str(v[1]),
		API:        str(v[2]),
		Visibility: str(v[3]),
		URL:        str(v[4]),
		Message:    str(v[5]),
	}, nil
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

// strs keeps the strings of a JSON array; anything else is an empty list.
func strs(v gjson.Result) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	v.ForEach(func(_, e gjson.Result) bool {
		if e.Type == gjson.String {
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
