package server

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// fan-out, retry, cache load and connection a request starts must have
// ended once its stack is closed, however urlscan.io failed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
