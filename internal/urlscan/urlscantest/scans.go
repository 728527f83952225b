package urlscantest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// submission is a scan the fake accepted: its result is "not finished"
// until ScanDuration has passed, and searches list it only once it is
// indexed (IndexScans).
type submission struct {
	id        string
	at        time.Time
	page      page
	malicious bool
	indexed   bool
}

// maxSubmissions bounds the scans remembered.
const maxSubmissions = 10_000

// submit records an accepted scan of rawURL and returns its uuid, unique
// per submission and the same on every run.
func (s *Server) submit(rawURL string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.submitSeq++
	id := uuidFrom(seeded("scan\x00" + strconv.FormatInt(s.submitSeq, 10) + "\x00" + rawURL))
	p := page{URL: rawURL, IP: "192.0.2.80", Country: "US", Server: "nginx", ASN: "AS64500", ASNName: "EXAMPLE-NET, US"}
	if u, err := url.Parse(rawURL); err == nil {
		p.Domain = strings.ToLower(u.Hostname())
	}
	if len(s.submissions) >= maxSubmissions {
		clear(s.submissions)
	}
	s.submissions[id] = &submission{
		id:        id,
		at:        time.Now().UTC().Truncate(time.Millisecond),
		page:      p,
		malicious: s.opts.MaliciousScans != "" && strings.Contains(rawURL, s.opts.MaliciousScans),
	}
	return id
}

// IndexScans makes every scan accepted so far appear in the searches it
// answers (by page.domain or page.url), as urlscan.io's search does a
// while after a scan finished.
func (s *Server) IndexScans() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.submissions {
		sub.indexed = true
	}
}

// submittedResult returns the result document of an accepted scan: ok is
// false for an id the fake never accepted, finished false while the scan
// is still running.
func (s *Server) submittedResult(id string) (doc []byte, finished, ok bool) {
	s.mu.Lock()
	sub := s.submissions[id]
	s.mu.Unlock()
	if sub == nil {
		return nil, false, false
	}
	if time.Since(sub.at) < s.opts.ScanDuration {
		return nil, false, true
	}
	head, tail := resultParts(id, hitMeta{time: sub.at, page: sub.page, verdict: &sub.malicious})
	return append(append(head, s.padding...), tail...), true, true
}

// indexedHits returns the search hits of the indexed scans that answer
// query, newest first.
func (s *Server) indexedHits(query string) []searchHit {
	field, value := parseQuery(query)
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []searchHit
	for _, sub := range s.submissions {
		if !sub.indexed || !(field == "page.domain" && strings.EqualFold(sub.page.Domain, value) || field == "page.url" && sub.page.URL == value) {
			continue
		}
		hits = append(hits, searchHit{
			Task:  searchTask{Visibility: "private", Method: "api", Time: sub.at.Format("2006-01-02T15:04:05.000Z"), Source: "api", URL: sub.page.URL},
			Stats: stats{UniqIPs: 1, DataLength: 4000, EncodedDataLength: 3000, Requests: 1},
			Page:  sub.page,
			ID:    sub.id,
		})
	}
	return hits
}

// withIndexed puts the indexed scans answering query in front of a
// generated search answer.
func (s *Server) withIndexed(body []byte, query string) []byte {
	extra := s.indexedHits(query)
	if len(extra) == 0 {
		return body
	}
	var ans searchAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return body
	}
	ans.Results = append(extra, ans.Results...)
	ans.Total = len(ans.Results)
	return ans.marshal()
}

// Submitted returns the uuids of the scans accepted so far, oldest first.
func (s *Server) Submitted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	type acc struct {
		id string
		at time.Time
	}
	var all []acc
	for _, sub := range s.submissions {
		all = append(all, acc{sub.id, sub.at})
	}
	slices.SortStableFunc(all, func(a, b acc) int { return a.at.Compare(b.at) })
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.id
	}
	return out
}
