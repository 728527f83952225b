// Package promreg is the relay's one rule for registering metrics: every
// collector of a component is registered, or none is and the component
// fails to build. A name registered twice on one registry is an error, never
// a silent reuse: two components claiming one series would mix their counts,
// or report one's state as the other's.
package promreg

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers cs with reg, all or none; a nil reg registers nothing.
// On failure the collectors already registered are unregistered again, and
// the error names what (the component, e.g. "cache search") failed.
func Register(reg prometheus.Registerer, what string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("%s: register metrics: %w", what, err)
		}
	}
	return nil
}
