package rediscache

import (
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// fits reports whether val may be written as kind's value, and counts it
// as oversized when not.
func (s *Store) fits(kind string, val []byte, max int) bool {
	if len(val) <= max {
		return true
	}
	s.oversized(kind, "write", int64(len(val)), max)
	return false
}

// oversized counts a value past its bound, and logs it as often as the
// Store's log gate allows: its kind and size, never its key or bytes.
func (s *Store) oversized(kind, op string, size int64, max int) {
	s.tooLarge.WithLabelValues(kind, op).Inc()
	report, suppressed := s.tooLargeLog.Failed(false)
	if !report {
		return
	}
	what := "a Redis value past its bound was treated as absent"
	if op == "write" {
		what = "a value past its bound was not written to Redis"
	}
	s.log.Warn(what, "kind", kind, "bytes", size, "bound", max, "suppressed", suppressed)
}

// newOversized is the redis_values_oversized_total counter, its series of
// every kind and op there from the start, registered on reg (nil: none).
func newOversized(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redis_values_oversized_total",
		Help: "Values past their size bound: op=read, found in Redis and treated as absent (never read whole); op=write, not written.",
	}, []string{"kind", "op"})
	for _, kind := range []string{kindSearch, kindResult, kindScans} {
		c.WithLabelValues(kind, "read")
		c.WithLabelValues(kind, "write")
	}
	c.WithLabelValues(kindLimit, "read")
	if err := promreg.Register(reg, "rediscache", c); err != nil {
		return nil, err
	}
	return c, nil
}
