// Package cooloff keeps a failing dependency from slowing every call: after
// a failure it is left alone for a cool-off, and its failures are reported
// at most once per period. One Gate is shared by everything that calls the
// same dependency, so that a failure seen by one caller spares the others
// the timeout too.
package cooloff

import (
	"sync/atomic"
	"time"
)

// The defaults of the relay's shared store (Redis): skipped for a second
// after a failure, a warning at most every 30 seconds.
const (
	DefaultCooloff   = time.Second
	DefaultWarnEvery = 30 * time.Second
)

// Gate says whether a dependency may be called, and whether a failure
// should be reported. It is safe for concurrent use.
type Gate struct {
	cooloff   time.Duration
	warnEvery time.Duration
	now       func() time.Time

	skipUntil  atomic.Int64 // unix nanos; the dependency is skipped before it
	lastWarn   atomic.Int64 // unix nanos of the last report
	suppressed atomic.Int64 // failures not reported since the last report
}

// New returns a Gate that skips the dependency for cooloff after each
// failure and reports failures at most once per warnEvery; zero durations
// mean the defaults, and a nil now means time.Now.
func New(cooloff, warnEvery time.Duration, now func() time.Time) *Gate {
	if cooloff == 0 {
		cooloff = DefaultCooloff
	}
	if warnEvery == 0 {
		warnEvery = DefaultWarnEvery
	}
	if now == nil {
		now = time.Now
	}
	return &Gate{cooloff: cooloff, warnEvery: warnEvery, now: now}
}

// Open reports whether the dependency may be called now.
func (g *Gate) Open() bool {
	return g.now().UnixNano() >= g.skipUntil.Load()
}

// Failed records a failure. One that says the dependency is unavailable
// (as opposed to bad data from it) starts the cool-off. report says whether
// the caller should report this failure; suppressed is how many were not
// reported since the last one that was.
func (g *Gate) Failed(unavailable bool) (report bool, suppressed int64) {
	now := g.now().UnixNano()
	if unavailable {
		g.skipUntil.Store(now + int64(g.cooloff))
	}
	last := g.lastWarn.Load()
	if last != 0 && now-last < int64(g.warnEvery) || !g.lastWarn.CompareAndSwap(last, now) {
		g.suppressed.Add(1)
		return false, 0
	}
	return true, g.suppressed.Swap(0)
}
