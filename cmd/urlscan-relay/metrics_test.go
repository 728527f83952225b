package main

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// scrape is one GET /metrics: the raw text and its parsed families.
type scrape struct {
	text string
	fams map[string]*dto.MetricFamily
}

func scrapeMetrics(t *testing.T, f *fixture, base string) scrape {
	t.Helper()
	a := f.send(t, http.MethodGet, base+"/metrics", "", "", nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /metrics = %d", a.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(a.body)))
	if err != nil {
		t.Fatalf("GET /metrics is not the Prometheus text format: %v", err)
	}
	return scrape{text: string(a.body), fams: fams}
}

// value sums the series of name whose labels include the given name, value
// pairs: a counter's or gauge's value, a histogram's sample count.
func (s scrape) value(name string, labels ...string) float64 {
	var sum float64
	fam := s.fams[name]
	if fam == nil {
		return 0
	}
series:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if label(m, labels[i]) != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// labelValues lists every value of a label of name.
func (s scrape) labelValues(name, lbl string) []string {
	var out []string
	for _, m := range s.fams[name].GetMetric() {
		out = append(out, label(m, lbl))
	}
	return out
}

// TestMetricsFamiliesMove drives traffic through a relay and checks that
// every metric family docs/OPERATIONS.md lists is exposed with its type and
// moves with the traffic, and that no key, token or observable value ever
// reaches the metrics.
func TestMetricsFamiliesMove(t *testing.T) {
	const apiKey = "metrics-key-Zq8vK2pLx4"
	f := newFixture(t, apiKey)
	base, _, stop := startRelay(t, f.env(map[string]string{
		// A short search TTL lets the test see an expiry eviction.
		"SEARCH_CACHE_TTL": "300ms",
	}))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	const (
		ip     = "198.51.100.173"
		domain = "metrics-obs-k7q2.example"
		link   = "http://metrics-obs-k7q2.example/path-w3r8"
		hash   = "5e0f7d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170"
	)
	body := `[{"type":"ip","value":"` + ip + `"},{"type":"domain","value":"` + domain +
		`"},{"type":"url","value":"` + link + `"},{"type":"sha256","value":"` + hash + `"}]`

	s0 := scrapeMetrics(t, f, base)
	// One 503, which the client retries.
	f.upstream.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusServiceUnavailable, Times: 1})
	observe := func() {
		t.Helper()
		a := f.send(t, http.MethodPost, base+"/observe/observables", f.token, body, nil)
		if codes := a.errorCodes(t); a.status != http.StatusOK || len(codes) > 0 {
			t.Fatalf("observe = %d %v", a.status, codes)
		}
	}
	observe()
	if a := f.send(t, http.MethodPost, base+"/health", f.token, "", nil); a.status != http.StatusOK {
		t.Fatalf("health = %d", a.status)
	}
	// An observable in an unknown path must not become a route label.
	f.send(t, http.MethodPost, base+"/observe/"+domain, f.token, body, nil)
	s1 := scrapeMetrics(t, f, base)
	waitFor(t, 5*time.Second, "an expired search is evicted", func() bool {
		return scrapeMetrics(t, f, base).value("cache_evictions_total", "cache", "search", "reason", "expired") > 0
	})
	observe()
	s2 := scrapeMetrics(t, f, base)

	types := map[string]dto.MetricType{
		"relay_http_requests_total":           dto.MetricType_COUNTER,
		"relay_http_request_duration_seconds": dto.MetricType_HISTOGRAM,
		"urlscan_requests_total":              dto.MetricType_COUNTER,
		"urlscan_request_duration_seconds":    dto.MetricType_HISTOGRAM,
		"urlscan_rate_limit_remaining":        dto.MetricType_GAUGE,
		"urlscan_retries_total":               dto.MetricType_COUNTER,
		"cache_hits_total":                    dto.MetricType_COUNTER,
		"cache_misses_total":                  dto.MetricType_COUNTER,
		"cache_evictions_total":               dto.MetricType_COUNTER,
		"cache_remote_errors_total":           dto.MetricType_COUNTER,
		"cache_size_bytes":                    dto.MetricType_GAUGE,
		"cache_entries":                       dto.MetricType_GAUGE,
		"auth_jwks_fetches_total":             dto.MetricType_COUNTER,
		"auth_failures_total":                 dto.MetricType_COUNTER,
		"go_goroutines":                       dto.MetricType_GAUGE,
		"go_memstats_heap_inuse_bytes":        dto.MetricType_GAUGE,
		"process_resident_memory_bytes":       dto.MetricType_GAUGE,
		"process_open_fds":                    dto.MetricType_GAUGE,
	}
	for name, want := range types {
		fam := s2.fams[name]
		if fam == nil {
			t.Errorf("%s is missing from /metrics", name)
			continue
		}
		if got := fam.GetType(); got != want {
			t.Errorf("%s is a %s, want a %s", name, got, want)
		}
	}

	moves := []struct {
		what     string
		from, to scrape
		name     string
		labels   []string
	}{
		{"observe counted", s0, s1, "relay_http_requests_total", []string{"route", "/observe/observables", "method", "POST", "outcome", "ok"}},
		{"observe timed", s0, s1, "relay_http_request_duration_seconds", []string{"route", "/observe/observables", "outcome", "ok"}},
		{"second observe counted", s1, s2, "relay_http_requests_total", []string{"route", "/observe/observables"}},
		{"unknown path counted", s0, s1, "relay_http_requests_total", []string{"route", "unmatched"}},
		{"searches counted", s0, s1, "urlscan_requests_total", []string{"endpoint", "search", "status", "200"}},
		{"results counted", s0, s1, "urlscan_requests_total", []string{"endpoint", "result", "status", "200"}},
		{"503 retried", s0, s1, "urlscan_retries_total", []string{"endpoint", "result", "reason", "503"}},
		{"503 counted", s0, s1, "urlscan_requests_total", []string{"endpoint", "result", "status", "503"}},
		{"searches timed", s0, s1, "urlscan_request_duration_seconds", []string{"endpoint", "search"}},
		{"remaining quota seen", s0, s1, "urlscan_rate_limit_remaining", []string{"action", "search"}},
		{"search misses", s0, s1, "cache_misses_total", []string{"cache", "search"}},
		{"result misses", s0, s1, "cache_misses_total", []string{"cache", "result"}},
		{"result hits", s1, s2, "cache_hits_total", []string{"cache", "result", "tier", "memory"}},
		// From s0: on a busy machine the first searches can expire before s1.
		{"expired searches evicted", s0, s2, "cache_evictions_total", []string{"cache", "search", "reason", "expired"}},
		{"results held", s0, s1, "cache_size_bytes", []string{"cache", "result"}},
		{"results counted in memory", s0, s1, "cache_entries", []string{"cache", "result"}},
		{"JWKS fetched", s0, s1, "auth_jwks_fetches_total", []string{"result", "ok"}},
	}
	for _, m := range moves {
		if from, to := m.from.value(m.name, m.labels...), m.to.value(m.name, m.labels...); to <= from {
			t.Errorf("%s: %s%v went from %v to %v, want it to grow", m.what, m.name, m.labels, from, to)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if v := s2.value(name); v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	routes := map[string]bool{"unmatched": true}
	for _, r := range []string{"/health", "/observe/observables", "/deliberate/observables", "/refer/observables",
		"/respond/observables", "/respond/trigger", "/version", "/watchdog", "/", "/healthz", "/readyz", "/metrics"} {
		routes[r] = true
	}
	for _, r := range s2.labelValues("relay_http_requests_total", "route") {
		if !routes[r] {
			t.Errorf("route label %q is not a registered route", r)
		}
	}

	token := strings.Split(f.token, ".")
	secrets := map[string]string{
		"API key":                apiKey,
		"API key id":             urlscan.KeyID(apiKey),
		"token":                  f.token,
		"token payload":          token[1],
		"token signature":        token[2],
		"ip observable":          ip,
		"domain observable":      domain,
		"url observable":         link,
		"sha256 observable":      hash,
		"url observable escaped": strings.ReplaceAll(link, "/", "%2F"),
	}
	for _, s := range []scrape{s0, s1, s2} {
		for what, v := range secrets {
			if strings.Contains(s.text, v) {
				t.Errorf("/metrics holds the %s", what)
			}
		}
	}
}

var metricsListening = regexp.MustCompile(`"msg":"metrics listening","addr":"([^"]*)"`)

// By default /metrics is served apart from the public listener, so that no
// tenant can watch the counters move with another tenant's lookups.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	f := newFixture(t, "metrics-listener-key-3b9e")
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	base, logs, stop := startRelay(t, f.env(map[string]string{"METRICS_ADDR": metricsAddr}))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("run returned %v after shutdown", err)
		}
	}()
	m := metricsListening.FindStringSubmatch(logs.String())
	if m == nil || m[1] != metricsAddr {
		t.Fatalf("no metrics listening line naming %s:\n%s", metricsAddr, logs.String())
	}
	if a := f.send(t, http.MethodGet, base+"/metrics", "", "", nil); a.status != http.StatusNotFound {
		t.Errorf("GET /metrics on the main listener = %d, want 404", a.status)
	}
	a := f.send(t, http.MethodGet, "http://"+metricsAddr+"/metrics", "", "", nil)
	if a.status != http.StatusOK || !strings.Contains(string(a.body), "relay_http_requests_total") {
		t.Errorf("GET /metrics on METRICS_ADDR = %d, %.200s", a.status, a.body)
	}
	for _, path := range []string{"/healthz", "/version", "/"} {
		if a := f.send(t, http.MethodGet, "http://"+metricsAddr+path, "", "", nil); a.status != http.StatusNotFound {
			t.Errorf("GET %s on METRICS_ADDR = %d, want 404: only /metrics is served there", path, a.status)
		}
	}
}
