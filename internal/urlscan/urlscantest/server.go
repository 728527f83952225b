// Package urlscantest is a fake urlscan.io API for tests and load
// benchmarks. It serves the recorded fixtures for the 1.1.1.1 search,
// generates plausible, deterministic answers for any other query, answers
// rate-limit headers like urlscan does, and fails on demand (see Fault).
//
// It does not import package testing, so benchmark binaries can use it.
package urlscantest

import (
	"embed"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed fixtures/*.json
var fixtures embed.FS

// fixtureQuery is the search the recorded fixtures answer.
const fixtureQuery = `page.ip:"1.1.1.1"`

// Options configure a Server; the zero value is a fast fake with small
// documents.
type Options struct {
	Latency   time.Duration // added to every answer
	Hits      int           // hits of a generated search (default 10); a smaller size asked gets the newest of them
	DocBytes  int           // approximate size of a generated result document (default 8 KiB)
	APIKey    string        // when set, a request with another API-Key header answers 401
	FailEvery int           // when > 0, one call in FailEvery fails, cycling through failure kinds (for soak tests)
	// Limits are quotas per rate-limit action (search, retrieve, private,
	// unlisted, public) for the fake's one window, which ends only with
	// Reset; an action without one is never spent. Past its quota an action
	// answers 429, as urlscan does.
	Limits map[string]int
	// ScanDuration is how long an accepted scan runs: until then its
	// result answers 404 "Scan is not finished yet".
	ScanDuration time.Duration
	// MaliciousScans, when set, gives a malicious verdict to the accepted
	// scans of URLs that contain it; other accepted scans are benign.
	MaliciousScans string
	// Scans, when set, is a curated data set that searches and results
	// answer from instead of generated answers: a search that matches none
	// of them lists no hit (see Scan).
	Scans []Scan
}

// Request is what the fake saw of one request. It records whether the
// API-Key header was present, never its value.
type Request struct {
	Endpoint    string // search, result, scan, quotas, or "" for another path
	Method      string
	Path        string // as sent, escaped
	Query       string // q of a search
	Size        string // size of a search
	ID          string // the scan id of a result
	KeyPresent  bool
	UserAgent   string
	Accept      string
	ContentType string
	Body        string // a scan submission's body (first 4 KiB)
}

// Server is a running fake. URL is its API root, such as
// http://127.0.0.1:PORT/api/v1, to be used as URLSCAN_API_URL.
type Server struct {
	URL string

	opts    Options
	ts      *httptest.Server
	padding []byte // the shared data.requests elements of generated documents

	mu       sync.Mutex
	faults   []*fault
	calls    map[string]int64
	requests []Request
	seq      int64               // calls seen, for FailEvery
	metas    map[string]hitMeta  // what generated searches said about their scans
	docs     map[string]docParts // generated result documents, less the shared padding
	used     map[string]int64    // successful calls per rate-limit action, for X-Rate-Limit-Remaining and quotas

	submitSeq   int64                  // scans accepted, for their uuids
	submissions map[string]*submission // accepted scans by uuid
}

// maxRecorded bounds the request log and the remembered scans, so a long
// load run does not grow the fake without end.
const maxRecorded = 100_000

// NewServer starts a fake urlscan.io on a loopback port.
func NewServer(o Options) *Server {
	if o.Hits <= 0 {
		o.Hits = 10
	}
	if o.DocBytes <= 0 {
		o.DocBytes = 8 << 10
	}
	s := &Server{
		opts:  o,
		calls: make(map[string]int64),
		metas: make(map[string]hitMeta),
		docs:  make(map[string]docParts),
		used:  make(map[string]int64),

		submissions: make(map[string]*submission),
	}
	head, tail := resultParts("00000000-0000-4000-8000-000000000000", hitMeta{})
	s.padding = requestsPadding(o.DocBytes - len(head) - len(tail))
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL + "/api/v1"
	return s
}

// Close shuts the fake down, ending its connections.
func (s *Server) Close() { s.ts.Close() }

// Calls returns how many requests reached endpoint ("search", "result",
// "scan", "quotas") since the start or the last Reset.
func (s *Server) Calls(endpoint string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// Requests returns the requests seen since the start or the last Reset
// (the latest 100,000).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset forgets the calls, requests and faults seen or injected so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.calls = make(map[string]int64)
	s.requests = nil
	s.seq = 0
	s.used = make(map[string]int64)
}

// route splits a path into its endpoint and, for a result, the id. The
// quotas endpoint is at the origin, outside the API root.
func route(path string) (endpoint, id string) {
	if path == "/user/quotas/" || path == "/user/quotas" {
		return "quotas", ""
	}
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return "", ""
	}
	rest = strings.TrimSuffix(rest, "/")
	switch {
	case rest == "search":
		return "search", ""
	case rest == "scan":
		return "scan", ""
	case strings.HasPrefix(rest, "result/"):
		id = strings.TrimPrefix(rest, "result/")
		if id == "" || strings.Contains(id, "/") {
			return "", ""
		}
		return "result", id
	}
	return "", ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	endpoint, id := route(r.URL.EscapedPath())
	q := r.URL.Query()
	rec := Request{
		Endpoint: endpoint, Method: r.Method, Path: r.URL.EscapedPath(),
		Query: q.Get("q"), Size: q.Get("size"), ID: id,
		KeyPresent: len(r.Header.Values("API-Key")) > 0,
		UserAgent:  r.Header.Get("User-Agent"), Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type"),
	}
	var scanBody []byte
	if endpoint == "scan" && r.Method == http.MethodPost {
		scanBody = readLimited(r, 4<<10)
		rec.Body = string(scanBody)
	}
	match := rec.Query
	if endpoint == "result" {
		match = id
	}
	f := s.record(rec, match)

	if !pause(r, s.opts.Latency) {
		return
	}
	if f != nil {
		s.serveFault(w, r, f, endpoint, id, scanBody)
		return
	}
	s.answer(w, r, endpoint, id, scanBody, nil)
}

// record logs rec, counts it, and picks the fault to apply to it, if any.
func (s *Server) record(rec Request, match string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecorded {
		s.requests = s.requests[:0]
	}
	s.requests = append(s.requests, rec)
	if rec.Endpoint != "" {
		s.calls[rec.Endpoint]++
	}
	s.seq++
	return s.pickFault(rec.Endpoint, match)
}

// answer serves the normal answer of endpoint, with extra headers on top
// of the usual ones.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, endpoint, id string, scanBody []byte, extra http.Header) {
	if s.opts.APIKey != "" && r.Header.Get("API-Key") != s.opts.APIKey {
		writeError(w, http.StatusUnauthorized, "Unauthorized", "Invalid or missing API key.", extra)
		return
	}
	switch {
	case endpoint == "search" && r.Method == http.MethodGet:
		s.search(w, r, extra)
	case endpoint == "result" && r.Method == http.MethodGet:
		s.result(w, id, extra)
	case endpoint == "scan" && r.Method == http.MethodPost:
		s.scan(w, scanBody, extra)
	case endpoint == "quotas" && r.Method == http.MethodGet:
		s.quotas(w, extra)
	case endpoint != "":
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed", "", extra)
	default:
		writeError(w, http.StatusNotFound, "Not Found", "", extra)
	}
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, extra http.Header) {
	q := r.URL.Query()
	query := q.Get("q")
	size := 100
	if n, err := strconv.Atoi(q.Get("size")); err == nil && n > 0 {
		size = min(n, 10_000)
	}
	if query == "" {
		writeError(w, http.StatusBadRequest, "Query is required", "The q parameter is missing.", extra)
		return
	}
	if !s.charge(w, "search", extra) {
		return
	}
	var body []byte
	if curated, ok := s.curatedSearch(query, size); ok {
		body = s.withIndexed(curated, query)
	} else if query == fixtureQuery {
		body = cutResults(mustFixture("search_ip_1.1.1.1.json"), size)
	} else {
		var metas map[string]hitMeta
		body, metas = generateSearch(query, s.opts.Hits, size)
		body = s.withIndexed(body, query)
		s.mu.Lock()
		if len(s.metas) > maxRecorded {
			clear(s.metas)
		}
		for id, m := range metas {
			s.metas[id] = m
		}
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) result(w http.ResponseWriter, id string, extra http.Header) {
	if s.curatedResult(w, id, extra) {
		return
	}
	if doc, finished, ok := s.submittedResult(id); ok {
		if !finished {
			writeError(w, http.StatusNotFound, "Scan is not finished yet", "The scan has not finished yet. Please try again in a few seconds.", extra)
			return
		}
		if !s.charge(w, "retrieve", extra) {
			return
		}
		writeJSON(w, http.StatusOK, doc)
		return
	}
	if b, err := fixtures.ReadFile("fixtures/result_" + id + ".json"); err == nil && validID(id) {
		if !s.charge(w, "retrieve", extra) {
			return
		}
		writeJSON(w, http.StatusOK, b)
		return
	}
	if !validID(id) {
		writeError(w, http.StatusNotFound, "Scan is not finished yet or does not exist", "", extra)
		return
	}
	if !s.charge(w, "retrieve", extra) {
		return
	}
	head, tail := s.resultParts(id)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+len(s.padding)+len(tail)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(head)
	_, _ = w.Write(s.padding)
	_, _ = w.Write(tail)
}

func (s *Server) scan(w http.ResponseWriter, body []byte, extra http.Header) {
	var req struct {
		URL        string `json:"url"`
		Visibility string `json:"visibility"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.URL == "" {
		writeError(w, http.StatusBadRequest, "Missing URL properties", "The submission did not contain a URL to scan.", extra)
		return
	}
	if req.Visibility == "" {
		req.Visibility = "public"
	}
	var ans map[string]any
	if err := json.Unmarshal(mustFixture("scan_response.json"), &ans); err != nil {
		panic(err) // the embedded fixture is valid JSON
	}
	if !s.charge(w, req.Visibility, extra) {
		return
	}
	id := s.submit(req.URL)
	ans["url"], ans["visibility"], ans["uuid"] = req.URL, req.Visibility, id
	ans["result"] = "https://urlscan.io/result/" + id + "/"
	ans["api"] = "https://urlscan.io/api/v1/result/" + id + "/"
	out, err := json.Marshal(ans)
	if err != nil {
		panic(err) // only decoded JSON is marshalled
	}
	writeJSON(w, http.StatusOK, out)
}

// docParts is a generated result document without its padding.
type docParts struct{ head, tail []byte }

// maxCachedDocs bounds the generated documents kept; a 300 KiB document
// keeps only its ~2 KiB of head and tail.
const maxCachedDocs = 10_000

// resultParts returns the generated document of id, made once and kept.
func (s *Server) resultParts(id string) (head, tail []byte) {
	s.mu.Lock()
	p, ok := s.docs[id]
	meta := s.metas[id]
	s.mu.Unlock()
	if ok {
		return p.head, p.tail
	}
	head, tail = resultParts(id, meta)
	s.mu.Lock()
	if len(s.docs) >= maxCachedDocs {
		clear(s.docs)
	}
	s.docs[id] = docParts{head, tail}
	s.mu.Unlock()
	return head, tail
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers like urlscan does on errors: message, description
// and status in a JSON object.
func writeError(w http.ResponseWriter, status int, message, description string, extra http.Header) {
	body, _ := json.Marshal(map[string]any{"message": message, "description": description, "status": status})
	for k, v := range extra {
		w.Header()[k] = v
	}
	writeJSON(w, status, body)
}

func mustFixture(name string) []byte {
	b, err := fixtures.ReadFile("fixtures/" + name)
	if err != nil {
		panic(err) // fixtures are embedded at build time
	}
	return b
}

// cutResults keeps the first size hits of a search answer.
func cutResults(body []byte, size int) []byte {
	var ans struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Results) <= size {
		return body
	}
	ans.Results = ans.Results[:size]
	out, _ := json.Marshal(ans)
	return out
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// pause waits d, or less if the client goes away; it reports whether the
// client is still there.
func pause(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func readLimited(r *http.Request, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, n))
	return b
}
