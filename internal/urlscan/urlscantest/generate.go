package urlscantest

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// epochUnix (2026-03-01T12:00:00Z) anchors generated scan times, so answers
// are the same on every run and every machine.
const epochUnix = 1772366400

// hitMeta is what a generated search hit told about its scan, so that the
// scan's result document agrees with it.
type hitMeta struct {
	time    time.Time
	page    page
	verdict *bool // when set, the document's verdict: malicious or not
}

type page struct {
	URL     string `json:"url"`
	Domain  string `json:"domain"`
	IP      string `json:"ip"`
	Country string `json:"country"`
	Server  string `json:"server"`
	ASN     string `json:"asn"`
	ASNName string `json:"asnname"`
	PTR     string `json:"ptr"`
}

// stats keeps urlscan's key order: the relay must keep it too.
type stats struct {
	UniqIPs           int `json:"uniqIPs"`
	ConsoleMsgs       int `json:"consoleMsgs"`
	DataLength        int `json:"dataLength"`
	EncodedDataLength int `json:"encodedDataLength"`
	Requests          int `json:"requests"`
}

type searchTask struct {
	Visibility string `json:"visibility"`
	Method     string `json:"method"`
	Time       string `json:"time"`
	Source     string `json:"source"`
	URL        string `json:"url"`
}

type searchHit struct {
	Task          searchTask `json:"task"`
	Stats         stats      `json:"stats"`
	Page          page       `json:"page"`
	UniqCountries int        `json:"uniq_countries"`
	ID            string     `json:"_id"`
	Result        string     `json:"result"`
}

type searchAnswer struct {
	Results []searchHit `json:"results"`
	Total   int         `json:"total"`
	Took    int         `json:"took"`
	HasMore bool        `json:"has_more"`
}

// seeded returns a generator whose output depends only on s.
func seeded(s string) *rand.Rand {
	h := fnv.New128a()
	h.Write([]byte(s))
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])))
}

// uuidFrom draws a version 4 uuid from r.
func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:36], b[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}

// parseQuery splits a relay query such as page.ip:"1.1.1.1" into its field
// and unescaped value; anything else is a free query with an empty field.
func parseQuery(q string) (field, value string) {
	field, rest, ok := strings.Cut(q, ":")
	if !ok || len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
		return "", q
	}
	inner := rest[1 : len(rest)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) {
			i++
		}
		b.WriteByte(inner[i])
	}
	return field, b.String()
}

func randomIP(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		var a [16]byte
		a[0], a[1] = 0x26, 0x06
		binary.BigEndian.PutUint64(a[8:], r.Uint64())
		return netip.AddrFrom16(a).String()
	}
	b := make([]byte, 0, 15)
	for i, n := range [4]int{1 + r.IntN(222), r.IntN(256), r.IntN(256), 1 + r.IntN(254)} {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}

func randomDomain(r *rand.Rand) string {
	words := []string{"login", "secure", "update", "cdn", "mail", "shop", "verify", "account", "static", "portal"}
	tlds := []string{"com", "net", "org", "io", "ml", "xyz"}
	first, second := words[r.IntN(len(words))], words[r.IntN(len(words))]
	n := r.IntN(1000)
	return first + "-" + second + strconv.Itoa(n) + "." + tlds[r.IntN(len(tlds))]
}

// pageFor draws a page that agrees with the searched field and value.
func pageFor(r *rand.Rand, field, value string) page {
	p := page{Domain: randomDomain(r), IP: randomIP(r), Country: "US", Server: "nginx", ASN: "AS13335", ASNName: "CLOUDFLARENET, US"}
	switch field {
	case "page.ip":
		p.IP = value
	case "page.domain":
		p.Domain = value
	case "page.url", "page.url.keyword":
		p.URL = value
		if u, err := url.Parse(value); err == nil && u.Hostname() != "" {
			p.Domain = u.Hostname()
		}
	}
	if p.URL == "" {
		p.URL = "https://" + p.Domain + "/" + strconv.Itoa(r.IntN(100000)) + "/index.php"
	}
	return p
}

// generateSearch answers query the way urlscan does when it has total
// scans and size are asked for: the newest size of them, though in no
// particular time order, and reports each hit's scan so that its result
// document can agree.
func generateSearch(query string, total, size int) ([]byte, map[string]hitMeta) {
	r := seeded("search\x00" + query)
	field, value := parseQuery(query)
	n := min(total, size)
	ans := searchAnswer{Results: make([]searchHit, 0, total), Total: total, Took: 5 + r.IntN(40), HasMore: n < total}
	metas := make(map[string]hitMeta, total)
	for range total {
		id := uuidFrom(r)
		t := time.Unix(epochUnix, 0).UTC().Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Millisecond)
		p := pageFor(r, field, value)
		reqs := 1 + r.IntN(120)
		ans.Results = append(ans.Results, searchHit{
			Task:          searchTask{Visibility: "public", Method: "api", Time: t.Format("2006-01-02T15:04:05.000Z"), Source: "api", URL: p.URL},
			Stats:         stats{UniqIPs: 1 + r.IntN(10), ConsoleMsgs: r.IntN(5), DataLength: reqs * 4000, EncodedDataLength: reqs * 3000, Requests: reqs},
			Page:          p,
			UniqCountries: 1 + r.IntN(3),
			ID:            id,
			Result:        "https://urlscan.io/api/v1/result/" + id,
		})
		metas[id] = hitMeta{time: t, page: p}
	}
	timeOf := func(h searchHit) time.Time { return metas[h.ID].time }
	if n < total {
		ans.Results = newest(ans.Results, timeOf, n)
	}
	if n > 1 && !timeOf(ans.Results[0]).Before(timeOf(ans.Results[1])) {
		// Newest first must be the client's work, never an accident of the fake.
		ans.Results[0], ans.Results[1] = ans.Results[1], ans.Results[0]
	}
	return ans.marshal(), metas
}

// newest keeps the n newest of hits, by timeOf, in their order.
func newest(hits []searchHit, timeOf func(searchHit) time.Time, n int) []searchHit {
	times := make([]time.Time, len(hits))
	for i, h := range hits {
		times[i] = timeOf(h)
	}
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, func(a, b time.Time) int { return b.Compare(a) })
	cutoff := sorted[n-1]
	kept := hits[:0:0]
	for i, h := range hits {
		if len(kept) < n && !times[i].Before(cutoff) {
			kept = append(kept, h)
		}
	}
	return kept
}
