package relay

import (
	"context"
	"sync/atomic"
)

// Stats counts, for one request, the urlscan.io calls made and the cache
// hits that spared one. The request's log line reports them.
type Stats struct {
	calls atomic.Int64
	hits  atomic.Int64
}

type statsKey struct{}

// WithStats returns a context that carries a fresh Stats.
func WithStats(ctx context.Context) (context.Context, *Stats) {
	s := &Stats{}
	return context.WithValue(ctx, statsKey{}, s), s
}

// StatsFrom returns the context's Stats, or nil; a nil *Stats ignores counts.
func StatsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// AddCall counts one urlscan.io call.
func (s *Stats) AddCall() {
	if s != nil {
		s.calls.Add(1)
	}
}

// AddHit counts one answer served from a cache.
func (s *Stats) AddHit() {
	if s != nil {
		s.hits.Add(1)
	}
}

// Snapshot returns the calls and hits counted so far.
func (s *Stats) Snapshot() (calls, hits int) {
	if s == nil {
		return 0, 0
	}
	return int(s.calls.Load()), int(s.hits.Load())
}
