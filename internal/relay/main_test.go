package relay

import (
	"flag"
	"testing"

	"go.uber.org/goleak"

	"urlscan-relay/internal/urlscan"
)

// update rewrites the golden files this package's tests own (never the
// fixture-derived ones, which come from the original relay).
var update = flag.Bool("update", false, "rewrite the relay's own golden files in testdata")

func TestMain(m *testing.M) {
	// Every goroutine a fan-out starts must have ended when its call returns.
	goleak.VerifyTestMain(m)
}

// The urlscan client is what the relay runs on; a change to either side's
// signatures must fail here rather than in the wiring.
var _ Upstream = (*urlscan.Client)(nil)
