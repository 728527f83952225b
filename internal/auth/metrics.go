package auth

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
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
	if reg != nil {
		var err error
		if fetches, err = register(reg, fetches); err != nil {
			return nil, err
		}
		if failures, err = register(reg, failures); err != nil {
			return nil, err
		}
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

func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("auth: register metrics: %w", err)
}
