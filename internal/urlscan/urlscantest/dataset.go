package urlscantest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Scan is one scan of a curated data set (Options.Scans): what a search
// lists about it and what its result document says. Searches by page.ip,
// page.domain, page.url (and page.url.keyword) and hash find it.
type Scan struct {
	ID         string    // the scan's uuid
	Time       time.Time // when it ran
	URL        string    // the page it landed on; its host is page.domain
	IP         string    // page.ip
	Country    string    // page.country (default US)
	ASNName    string    // page.asnname
	Visibility string    // task.visibility (default public)
	Hashes     []string  // SHA-256 of resources it loaded, for hash:"…" searches
	Malicious  bool      // verdicts.overall.malicious
	Score      int       // verdicts.overall.score
	Categories []string  // verdicts.overall.categories
	Brands     []string  // verdicts.overall.brands
	Tags       []string  // verdicts.overall.tags
	// Deleted scans are still listed by searches, as urlscan's index
	// lags, but their result answers 410.
	Deleted bool
}

// domain is the host of the scan's URL, lower-cased.
func (sc Scan) domain() string {
	u, err := url.Parse(sc.URL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// matches reports whether a search of field for value finds the scan.
func (sc Scan) matches(field, value string) bool {
	switch field {
	case "page.ip":
		return sc.IP == value
	case "page.domain":
		return strings.EqualFold(sc.domain(), value)
	case "page.url", "page.url.keyword":
		return sc.URL == value
	case "hash":
		return slices.Contains(sc.Hashes, strings.ToLower(value))
	}
	return false
}

func (sc Scan) page() page {
	country := sc.Country
	if country == "" {
		country = "US"
	}
	return page{URL: sc.URL, Domain: sc.domain(), IP: sc.IP, Country: country, Server: "nginx", ASN: "AS64500", ASNName: sc.ASNName}
}

func (sc Scan) visibility() string {
	if sc.Visibility == "" {
		return "public"
	}
	return sc.Visibility
}

// curatedSearch answers a search from the curated data set, newest first;
// ok is false when the fake has none, and its generated answers apply.
// With a data set, a search that matches no scan answers no hit.
func (s *Server) curatedSearch(query string, size int) (body []byte, ok bool) {
	if s.opts.Scans == nil {
		return nil, false
	}
	field, value := parseQuery(query)
	var found []Scan
	for _, sc := range s.opts.Scans {
		if sc.matches(field, value) {
			found = append(found, sc)
		}
	}
	slices.SortStableFunc(found, func(a, b Scan) int { return b.Time.Compare(a.Time) })
	ans := searchAnswer{Results: []searchHit{}, Total: len(found), Took: 7, HasMore: len(found) > size}
	for _, sc := range found[:min(len(found), size)] {
		ans.Results = append(ans.Results, searchHit{
			Task:          searchTask{Visibility: sc.visibility(), Method: "api", Time: sc.Time.UTC().Format("2006-01-02T15:04:05.000Z"), Source: "api", URL: sc.URL},
			Stats:         stats{UniqIPs: 3, ConsoleMsgs: 1, DataLength: 48000, EncodedDataLength: 36000, Requests: 12},
			Page:          sc.page(),
			UniqCountries: 1,
			ID:            sc.ID,
			Result:        "https://urlscan.io/api/v1/result/" + sc.ID,
		})
	}
	return ans.marshal(), true
}

// curatedResult answers the result of a curated scan and reports whether
// id is one.
func (s *Server) curatedResult(w http.ResponseWriter, id string, extra http.Header) bool {
	i := slices.IndexFunc(s.opts.Scans, func(sc Scan) bool { return sc.ID == id })
	if i < 0 {
		return false
	}
	sc := s.opts.Scans[i]
	if sc.Deleted {
		writeError(w, http.StatusGone, "Scan has been deleted", "The scan was deleted by its owner.", extra)
		return true
	}
	if !s.charge(w, "retrieve", extra) {
		return true
	}
	writeJSON(w, http.StatusOK, curatedDocument(sc))
	return true
}

// curatedDocument is the result document of a curated scan.
func curatedDocument(sc Scan) []byte {
	overall := verdict{
		Score: sc.Score, Categories: nonNil(sc.Categories), Brands: nonNil(sc.Brands), Tags: nonNil(sc.Tags),
		Malicious: sc.Malicious,
	}
	if sc.Malicious {
		overall.HasVerdicts = 1
	}
	st := stats{UniqIPs: 3, ConsoleMsgs: 1, DataLength: 48000, EncodedDataLength: 36000, Requests: 12}
	return append([]byte(`{"data":{"requests":[`+dataRest), resultMembers(sc.ID, sc.Time, sc.visibility(), sc.page(), st, overall, nonNil(sc.Hashes))...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
