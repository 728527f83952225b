package urlscan

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestSearchFixture(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	hits, err := c.Search(t.Context(), testKey, fixtureQuery, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []Hit{
		{
			ID:    fixtureIDs[0],
			Time:  time.Date(2020, 6, 2, 21, 35, 21, 586e6, time.UTC),
			Stats: []Stat{{Name: "uniqIPs", Value: "1"}, {Name: "consoleMsgs", Value: "0"}, {Name: "dataLength", Value: "553"}, {Name: "encodedDataLength", Value: "684"}, {Name: "requests", Value: "1"}},
			Page:  Page{URL: "https://exclusivehopie.com/onlinevisitor_us_zt_m/index_1.php", Domain: "exclusivehopie.com", IP: "1.1.1.1"},
		},
		{
			ID:    fixtureIDs[1],
			Time:  time.Date(2020, 6, 2, 19, 33, 14, 851e6, time.UTC),
			Stats: []Stat{{Name: "uniqIPs", Value: "1"}, {Name: "consoleMsgs", Value: "0"}, {Name: "dataLength", Value: "3801"}, {Name: "encodedDataLength", Value: "4401"}, {Name: "requests", Value: "4"}},
			Page:  Page{URL: "http://covid19moodtracker.com/", Domain: "covid19moodtracker.com", IP: "1.1.1.1"},
		},
	}
	if !reflect.DeepEqual(hits, want) {
		t.Errorf("got %+v\nwant %+v", hits, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/api/v1/search/" || reqs[0].Query != fixtureQuery || reqs[0].Size != "100" {
		t.Errorf("got requests %+v, want one GET /api/v1/search/?q=%s&size=100", reqs, fixtureQuery)
	}
}

func TestResultFixtures(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	for i, category := range []string{"coinmining", "phishing"} {
		got, err := c.Result(t.Context(), testKey, fixtureIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		want := &Result{
			Time:          time.Date(2020, 4, 26, 21, 49, 49, 12e6, time.UTC),
			ReportURL:     "https://urlscan.io/result/e9bbe3d0-08e8-410c-86e9-59af6cc4daed/",
			ScreenshotURL: "https://urlscan.io/screenshots/e9bbe3d0-08e8-410c-86e9-59af6cc4daed.png",
			DomURL:        "https://urlscan.io/dom/e9bbe3d0-08e8-410c-86e9-59af6cc4daed/",
			Malicious:     true,
			Tags:          []string{category},
			Categories:    []string{category},
			Page:          Page{URL: "http://gasimanai.ml/zanku/PvqDq929BSx_A_D_M1n_a.php", Domain: "gasimanai.ml", IP: "2606:4700:3036::6818:62bd"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", fixtureIDs[i], got, want)
		}
	}
	for i, r := range srv.Requests() {
		if want := "/api/v1/result/" + fixtureIDs[i] + "/"; r.Path != want {
			t.Errorf("got path %q, want %q", r.Path, want)
		}
	}
}

func TestScanSubmission(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	got, err := c.Scan(t.Context(), testKey, ScanRequest{URL: "https://test.com", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	// The fake gives each submission a uuid of its own, as urlscan does.
	id := got.UUID
	if !ValidScanID(id) || len(id) != 36 {
		t.Fatalf("uuid %q is not a scan id", id)
	}
	want := &ScanResponse{
		UUID: id, Result: "https://urlscan.io/result/" + id + "/",
		API: "https://urlscan.io/api/v1/result/" + id + "/", Visibility: "private", URL: "https://test.com", Message: "Submission successful",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/api/v1/scan/" || reqs[0].ContentType != "application/json" {
		t.Fatalf("got %+v, want one JSON POST /api/v1/scan/", reqs)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(body, map[string]any{"url": "https://test.com", "visibility": "private"}) {
		t.Errorf("got body %s, want only url and visibility", reqs[0].Body)
	}
}

func TestSearchSortsAndCuts(t *testing.T) {
	srv := newServer(t, urlscantest.Options{Hits: 10})
	c := newClient(t, srv.URL, nil)
	hits, err := c.Search(t.Context(), testKey, `page.domain:"example.com"`, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 10 {
		t.Fatalf("got %d hits, want 10", len(hits))
	}
	if !slices.IsSortedFunc(hits, func(a, b Hit) int { return b.Time.Compare(a.Time) }) {
		t.Errorf("hits not newest first: %v", hitTimes(hits))
	}
	for _, h := range hits {
		if h.Page.Domain != "example.com" || len(h.Stats) != 5 || h.Stats[0].Name != "uniqIPs" {
			t.Errorf("hit %+v does not match the query or keep stats order", h)
		}
	}

	// urlscan may answer more hits than asked, in any order; the client
	// keeps the newest.
	srv.Inject(urlscantest.Fault{Endpoint: "search", Body: `{"results":[
		{"_id":"a","task":{"time":"2020-01-01T00:00:00Z"}},
		{"_id":"b"},
		{"_id":"c","task":{"time":"2021-01-01T00:00:00.5Z"}},
		{"_id":"d","task":{"time":"2020-06-01T00:00:00"}},
		{"_id":"e","task":{"time":"2021-01-01T00:00:00.5Z"}}]}`})
	tests := []struct {
		size int
		want string
	}{{2, "ce"}, {4, "ceda"}, {10, "cedab"}, {0, "cedab"}}
	for _, tc := range tests {
		hits, err := c.Search(t.Context(), testKey, "x", tc.size)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for _, h := range hits {
			got.WriteString(h.ID)
		}
		if got.String() != tc.want {
			t.Errorf("size %d: got %q, want %q", tc.size, got.String(), tc.want)
		}
	}
}

func hitTimes(hits []Hit) []time.Time {
	var out []time.Time
	for _, h := range hits {
		out = append(out, h.Time)
	}
	return out
}

func TestDecodeSearchLenient(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Hit
	}{
		{"no results", `{}`, nil},
		{"results null", `{"results":null}`, nil},
		{"results object", `{"results":{}}`, nil},
		{"results empty", `{"results":[]}`, nil},
		{"bare hit", `{"results":[{"_id":"x1"}]}`, []Hit{{ID: "x1"}}},
		{"hit not an object", `{"results":[1,"a",null,{"_id":"x1"}]}`, []Hit{{ID: "x1"}}},
		{"hostile ids dropped", `{"results":[{"_id":"../../x"},{"_id":5},{},{"_id":"ok"}]}`, []Hit{{ID: "ok"}}},
		{"stats {} and null", `{"results":[{"_id":"a","stats":{}},{"_id":"b","stats":null},{"_id":"c","stats":[1]}]}`, []Hit{{ID: "a", Stats: []Stat{}}, {ID: "b"}, {ID: "c"}}},
		{"stats keep integers in order", `{"results":[{"_id":"a","stats":{"z":1,"s":"2","a":3.5,"n":null,"m":-1e3,"big":1e999,"z":9,"o":{},"i":-12,"huge":99999999999999999999}}]}`,
			[]Hit{{ID: "a", Stats: []Stat{{Name: "z", Value: "1"}, {Name: "i", Value: "-12"}}}}},
		{"page fields of wrong type", `{"results":[{"_id":"a","page":{"url":1,"domain":["d"],"ip":"1.2.3.4"}}]}`, []Hit{{ID: "a", Page: Page{IP: "1.2.3.4"}}}},
		{"page not an object", `{"results":[{"_id":"a","page":"x"}]}`, []Hit{{ID: "a"}}},
		{"time without fraction", `{"results":[{"_id":"a","task":{"time":"2020-06-02T21:35:21Z"}}]}`, []Hit{{ID: "a", Time: time.Date(2020, 6, 2, 21, 35, 21, 0, time.UTC)}}},
		{"time without zone", `{"results":[{"_id":"a","task":{"time":"2020-06-02T21:35:21.5"}}]}`, []Hit{{ID: "a", Time: time.Date(2020, 6, 2, 21, 35, 21, 5e8, time.UTC)}}},
		{"time with offset", `{"results":[{"_id":"a","task":{"time":"2020-06-02T23:35:21+02:00"}}]}`, []Hit{{ID: "a", Time: time.Date(2020, 6, 2, 21, 35, 21, 0, time.UTC)}}},
		{"time unreadable", `{"results":[{"_id":"a","task":{"time":"yesterday"}},{"_id":"b","task":{"time":12}},{"_id":"c","task":"x"}]}`, []Hit{{ID: "a"}, {ID: "b"}, {ID: "c"}}},
		{"escaped strings", `{"results":[{"_id":"a","page":{"url":"https://x/\u0026\"q\""}}]}`, []Hit{{ID: "a", Page: Page{URL: `https://x/&"q"`}}}},
		{"first of repeated members", `{"results":[{"_id":"a","_id":"b","task":{"time":"2020-06-02T21:35:21Z","time":"2021-01-01T00:00:00Z"},"task":{},"stats":{"n":1},"stats":{"m":2},"page":{"ip":"1.1.1.1","ip":"2.2.2.2"},"page":{}}]}`,
			[]Hit{{ID: "a", Time: time.Date(2020, 6, 2, 21, 35, 21, 0, time.UTC), Stats: []Stat{{Name: "n", Value: "1"}}, Page: Page{IP: "1.1.1.1"}}}},
		{"escaped member names", `{"results":[{"_\u0069d":"a","p\u0061ge":{"\u0069p":"1.1.1.1"}}]}`, []Hit{{ID: "a", Page: Page{IP: "1.1.1.1"}}}},
		{"stats past the bound", `{"results":[{"_id":"a","stats":{` + manyStats(maxStats+8) + `}}]}`, []Hit{{ID: "a", Stats: wantStats(maxStats)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeSearch([]byte(tc.doc), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeResultLenient(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Result
	}{
		{"empty", `{}`, Result{}},
		{"verdicts missing overall", `{"verdicts":{}}`, Result{}},
		{"malicious missing", `{"verdicts":{"overall":{"tags":["a"]}}}`, Result{Tags: []string{"a"}}},
		{"malicious not a bool", `{"verdicts":{"overall":{"malicious":"true"}}}`, Result{}},
		{"lists as {} and null", `{"verdicts":{"overall":{"malicious":true,"tags":{},"categories":null}}}`, Result{Malicious: true}},
		{"lists with non-strings", `{"verdicts":{"overall":{"tags":["a",1,null,{"x":1},"b"],"categories":["phishing"]}}}`, Result{Tags: []string{"a", "b"}, Categories: []string{"phishing"}}},
		{"task fields", `{"task":{"time":"2020-04-26T21:49:49Z","reportURL":"r","screenshotURL":"s","domURL":7}}`, Result{Time: time.Date(2020, 4, 26, 21, 49, 49, 0, time.UTC), ReportURL: "r", ScreenshotURL: "s"}},
		{"first of repeated members", `{"task":{"reportURL":"first"},"task":{"reportURL":"second"}}`, Result{ReportURL: "first"}},
		{"task after a big data member", `{"data":{"requests":[{"a":"}]\"{["},[[[]]]]},"task":{"reportURL":"r"}}`, Result{ReportURL: "r"}},
		{"escapes in skipped strings", `{"data":["\\", "\\\"]", "\\\\"], "x":"\"}{", "task":{"reportURL":"r\"\\"}}`, Result{ReportURL: `r"\`}},
		{"scalars and spaces at the top", " \t\r\n{ \"n\" : -1.5e3 , \"b\":true,\"z\":null,\"task\" : { \"reportURL\" : \"r\" } } \n", Result{ReportURL: "r"}},
		{"members never read are not validated", `{"data":{"a":01,"b":"\q","c":NaN,"d":[1 2],"e":"\u12"},"x":tru,"task":{"reportURL":"r"}}`, Result{ReportURL: "r"}},
		{"wanted name escaped is another name", `{"t\u0061sk":{"reportURL":"r"}}`, Result{}},
		{"members as deep as allowed", `{"data":` + strings.Repeat("[", 511) + strings.Repeat("]", 511) + `,"task":` + strings.Repeat(`{"a":`, 510) + "{}" + strings.Repeat("}", 510) + `}`, Result{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeResultBytes([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	// Broken structure: refused by every decoder.
	broken := []string{"", " ", "null", "[]", `"x"`, "1", "{", `{"results":[}`, `{"a":1}x`, `{'a':1}`, `{"a":1,}`, `{"a":}`, `{"a" 1}`, `{"a":1 2}`, `{,}`, `{"a":[1}`, `{"a":{]}`, `{"a":"x}`, `{"a":"\"}`, `{"a":1}}`, `{"a":[]]}`, `{"a":1} {}`,
		strings.Repeat("[", 600) + strings.Repeat("]", 600),
		`{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 100000) + "1" + strings.Repeat("}", 100000) + `}`,
		`{"a":` + strings.Repeat("[", 512) + strings.Repeat("]", 512) + `}`,
		`{"task":` + strings.Repeat("[", 512) + strings.Repeat("]", 512) + `}`,
	}
	// Invalid content: refused where the relay reads it, which is anywhere
	// in a search answer but only task and verdicts in a result document.
	content := []string{`{"a":01}`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":NaN}`, `{"a":tru}`}
	for _, doc := range append(broken, content...) {
		if hits, err := decodeSearch([]byte(doc), 0); err == nil || hits != nil {
			t.Errorf("decodeSearch(%.40q) = %v, %v; want an error", doc, hits, err)
		}
	}
	for _, doc := range content {
		for _, member := range []string{"task", "verdicts"} {
			broken = append(broken, strings.Replace(doc, `"a"`, `"`+member+`"`, 1))
		}
		broken = append(broken, strings.Replace(doc, `"a":`, `"verdicts":{"overall":`, 1)+"}")
	}
	for _, doc := range broken {
		if res, err := decodeResultBytes([]byte(doc)); err == nil || res != nil {
			t.Errorf("decodeResult(%.40q) = %v, %v; want an error", doc, res, err)
		}
	}
}

func TestGeneratedDocuments(t *testing.T) {
	srv := newServer(t, urlscantest.Options{DocBytes: 300 << 10})
	c := newClient(t, srv.URL, nil)
	hits, err := c.Search(t.Context(), testKey, `page.url.keyword:"https://login.example.net/a?b=\"c\""`, 50)
	if err != nil {
		t.Fatal(err)
	}
	malicious := 0
	for _, h := range hits {
		if h.Page.URL != `https://login.example.net/a?b="c"` || h.Page.Domain != "login.example.net" {
			t.Errorf("hit page %+v does not match the query", h.Page)
		}
		r, err := c.Result(t.Context(), testKey, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Time.Equal(h.Time) || !strings.Contains(r.ReportURL, h.ID) {
			t.Errorf("result %+v does not match hit %+v", r, h)
		}
		if r.Malicious {
			malicious++
			if len(r.Categories) != 1 || len(r.Tags) == 0 {
				t.Errorf("malicious result without category or tags: %+v", r)
			}
		}
	}
	if malicious == 0 || malicious == len(hits) {
		t.Errorf("got %d malicious of %d, want some", malicious, len(hits))
	}
}

// manyStats is n integer members, s0 to s(n-1).
func manyStats(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"s%d":%d`, i, i)
	}
	return b.String()
}

// wantStats are the first n of manyStats.
func wantStats(n int) []Stat {
	out := make([]Stat, n)
	for i := range out {
		out[i] = Stat{Name: fmt.Sprintf("s%d", i), Value: json.Number(strconv.Itoa(i))}
	}
	return out
}
