package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// httpMetrics are the request metrics. Labels are bounded: the registered
// route (or "unmatched"), the method, and the outcome (a TR error code).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_http_requests_total",
			Help: "HTTP requests served, by route, method and outcome (ok, a TR error code, 4xx or 5xx).",
		}, []string{"route", "method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relay_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25},
		}, []string{"route", "outcome"}),
	}
	if err := promreg.Register(reg, "server", m.requests, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// recordRequest counts one answered request and records how long it took.
func (m *httpMetrics) recordRequest(method, route, outcome string, d time.Duration) {
	m.requests.WithLabelValues(route, knownMethod(method), outcome).Inc()
	m.duration.WithLabelValues(route, outcome).Observe(d.Seconds())
}

// knownMethod folds the client-chosen method onto a fixed set, so made-up
// methods cannot mint new metric series.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions:
		return m
	}
	return "other"
}
