package auth

import (
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// fetchResult is the auth_jwks_fetches_total label of one JWKS fetch.
type fetchResult string

const (
	fetchOK          fetchResult = "ok"
	fetchUnreachable fetchResult = "unreachable"
	fetchStatus      fetchResult = "bad_status"
	fetchTooLarge    fetchResult = "too_large"
	fetchNotJSON     fetchResult = "not_json"
	fetchNoKeys      fetchResult = "no_keys"
)

func allFetchResults() []fetchResult {
	return []fetchResult{fetchOK, fetchUnreachable, fetchStatus, fetchTooLarge, fetchNotJSON, fetchNoKeys}
}

type metrics struct {
	fetches  *prometheus.CounterVec
	failures *prometheus.CounterVec
}

// newMetrics registers the counters with reg when it is not nil. A
// Verifier built twice on one registry shares the counters already there.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "auth_jwks_fetches_total",
		Help: "JWKS fetches by result.",
	}, []string{"result"})
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "auth_failures_total",
		Help: "Refused authorizations by the step that refused them.",
	}, []string{"reason"})
	if err := promreg.Register(reg, "auth", fetches, failures); err != nil {
		return nil, err
	}
	// Every label value exists from the start, so that rates work
	// before the first failure.
	for _, r := range allFetchResults() {
		fetches.WithLabelValues(string(r))
	}
	for _, r := range allReasons() {
		failures.WithLabelValues(string(r))
	}
	return &metrics{fetches: fetches, failures: failures}, nil
}
