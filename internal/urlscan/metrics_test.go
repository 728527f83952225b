package urlscan

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

func testutilCount(t *testing.T, c *Client, endpoint, status string) float64 {
	t.Helper()
	return value(t, c.metrics.requests.WithLabelValues(endpoint, status))
}

func TestMetrics(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "result", Status: 503, Times: 1})
	reg := prometheus.NewRegistry()
	c := newClient(t, srv.URL, func(o *Options) { o.Registerer = reg })
	// A second client on the same registry would mix its counts with the
	// first's: it is refused (promreg's rule).
	if c2, err := New(Options{BaseURL: srv.URL, Timeout: time.Second, Registerer: reg}); err == nil {
		c2.Close()
		t.Error("a second client on one registry was built, want a registration error")
	}
	for _, endpoint := range []string{"search", "result"} {
		if err := callEndpoint(t.Context(), c, endpoint, testKey); err != nil {
			t.Fatal(err)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"search 200", testutilCount(t, c, "search", "200"), 1},
		{"result 503", testutilCount(t, c, "result", "503"), 1},
		{"result 200", testutilCount(t, c, "result", "200"), 1},
		{"result retries", value(t, c.metrics.retries.WithLabelValues("result", "503")), 1},
		{"search remaining", value(t, c.metrics.remaining.WithLabelValues("search")), 999_999},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); strings.Contains(v, testKey) || v == KeyID(testKey) || strings.Contains(v, "1.1.1.1") {
					t.Errorf("%s: label %s=%q names a key or an observable", f.GetName(), l.GetName(), v)
				}
			}
		}
	}
	for _, want := range []string{"urlscan_requests_total", "urlscan_request_duration_seconds", "urlscan_rate_limit_remaining", "urlscan_retries_total"} {
		if !names[want] {
			t.Errorf("metric %s not registered", want)
		}
	}
}

// The alerts divide rates of urlscan_requests_total: before the first call
// the series must be there, at zero, for the ratios to be defined.
func TestMetricsExistBeforeTheFirstCall(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	reg := prometheus.NewRegistry()
	newClient(t, srv.URL, func(o *Options) { o.Registerer = reg })
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := f.GetName()
			for _, l := range m.GetLabel() {
				labels += " " + l.GetName() + "=" + l.GetValue()
			}
			series[labels]++
			if c := m.GetCounter(); c != nil && c.GetValue() != 0 {
				t.Errorf("%s = %v before any call", labels, c.GetValue())
			}
		}
	}
	for _, want := range []string{
		"urlscan_requests_total endpoint=search status=200",
		"urlscan_requests_total endpoint=result status=error",
		"urlscan_requests_total endpoint=scan status=429",
		"urlscan_requests_total endpoint=search status=blocked",
		"urlscan_requests_total endpoint=result status=503",
		"urlscan_retries_total endpoint=result reason=timeout",
		"urlscan_request_duration_seconds endpoint=search",
	} {
		if series[want] != 1 {
			t.Errorf("series %q missing before the first call", want)
		}
	}
	for s := range series {
		if strings.HasPrefix(s, "urlscan_rate_limit_remaining") {
			t.Errorf("%s exists before urlscan.io sent a value", s)
		}
	}
}
