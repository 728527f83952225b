package promreg

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func counter(name string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: name + "."})
}

func TestRegister(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := Register(reg, "first", counter("a_total"), counter("b_total")); err != nil {
		t.Fatal(err)
	}
	// A duplicate is refused, and leaves nothing of its component behind.
	err := Register(reg, "second", counter("c_total"), counter("a_total"))
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		t.Fatalf("duplicate registration = %v, want an AlreadyRegisteredError", err)
	}
	if err := Register(reg, "third", counter("c_total")); err != nil {
		t.Errorf("c_total stayed registered after its component failed: %v", err)
	}
	if err := Register(nil, "none", counter("a_total")); err != nil {
		t.Errorf("nil registerer: %v", err)
	}
}
