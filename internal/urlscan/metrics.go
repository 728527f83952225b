package urlscan

import (
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// metrics are the client's Prometheus collectors. Labels name endpoints,
// statuses and actions only: never a key or an observable.
type metrics struct {
	requests  *prometheus.CounterVec   // endpoint, status (HTTP code, "error" or "blocked")
	duration  *prometheus.HistogramVec // endpoint
	remaining *prometheus.GaugeVec     // action: the last X-Rate-Limit-Remaining seen, whatever the key
	retries   *prometheus.CounterVec   // endpoint, reason
	quota     *prometheus.GaugeVec     // action, window: the last remaining count the quotas endpoint answered, whatever the key
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "urlscan_requests_total",
			Help: "Calls to urlscan.io by endpoint and outcome: the HTTP status, \"error\" when no answer came, \"blocked\" when held back by the rate limit.",
		}, []string{"endpoint", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "urlscan_request_duration_seconds",
			Help:    "Time of one call to urlscan.io, body included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "urlscan_rate_limit_remaining",
			Help: "The last X-Rate-Limit-Remaining urlscan.io answered, by action.",
		}, []string{"action"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "urlscan_retries_total",
			Help: "Calls to urlscan.io repeated, by endpoint and reason.",
		}, []string{"endpoint", "reason"}),
		quota: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "urlscan_quota_remaining",
			Help: "Calls left in the current window, by urlscan.io action (search, retrieve, private, unlisted, public, ...) and window (minute, hour, day), as the quotas endpoint last answered for any key.",
		}, []string{"action", "window"}),
	}
	if reg == nil {
		return m, nil
	}
	if err := promreg.Register(reg, "urlscan", m.requests, m.duration, m.remaining, m.retries, m.quota); err != nil {
		return nil, err
	}
	m.initialise()
	return m, nil
}

// Label values known in advance: series for them exist, at zero, from the
// start, so that a rate over them (the alerts' ratios) is defined before
// the first call rather than absent. Other statuses appear when answered.
var (
	knownEndpoints = []string{endpointSearch, endpointResult, endpointScan}
	knownStatuses  = []string{"200", "400", "401", "404", "429", "500", "502", "503", "504", "error", "blocked"}
	knownReasons   = []string{"429", "502", "503", "504", "connection", "timeout"}
)

// initialise creates the series of the known label values. The rate-limit
// gauge is left out: a zero would read as a spent quota, and it has no
// value until urlscan.io has sent one.
func (m *metrics) initialise() {
	for _, e := range knownEndpoints {
		for _, s := range knownStatuses {
			m.requests.WithLabelValues(e, s)
		}
		for _, r := range knownReasons {
			m.retries.WithLabelValues(e, r)
		}
		m.duration.WithLabelValues(e)
	}
}
