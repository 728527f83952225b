package urlscan

import (
	"context"
	"time"

	"urlscan-relay/internal/cooloff"
)

// NewSharedLimits returns a LimitStore that keeps every block in this
// process's memory and also in shared (Redis), so a replica learns what
// another replica was told. The memory copy answers first: a replica that
// saw a 429 holds the key back even while the shared store is down. gate is
// the shared store's health gate, shared with the caches on the same store
// (nil: one of its own): a failing store is skipped for its cool-off, so a
// hung Redis cannot slow every urlscan.io call, and its errors never reach
// the caller; warn (may be nil) hears of those the gate lets through.
func NewSharedLimits(shared LimitStore, gate *cooloff.Gate, now func() time.Time, warn func(error)) LimitStore {
	if now == nil {
		now = time.Now
	}
	if gate == nil {
		gate = cooloff.New(0, 0, now)
	}
	if warn == nil {
		warn = func(error) {}
	}
	return &sharedLimits{local: NewMemoryLimits(now), shared: shared, gate: gate, now: now, warn: warn}
}

type sharedLimits struct {
	local  LimitStore
	shared LimitStore
	gate   *cooloff.Gate
	now    func() time.Time
	warn   func(error)
}

func (s *sharedLimits) BlockedUntil(ctx context.Context, keyID, action string) (time.Time, error) {
	if until, _ := s.local.BlockedUntil(ctx, keyID, action); until.After(s.now()) {
		return until, nil
	}
	if !s.gate.Open() {
		return time.Time{}, nil
	}
	until, err := s.shared.BlockedUntil(ctx, keyID, action)
	if err != nil {
		s.failed(err)
		return time.Time{}, nil
	}
	// The shared store is held to the bound urlscan.io's own headers are:
	// no mark blocks a key longer than maxWait from now, whatever it says.
	now := s.now()
	if limit := now.Add(maxWait); until.After(limit) {
		until = limit
	}
	if until.After(now) {
		// Remember it here too, so the next call asks no one.
		_ = s.local.Block(ctx, keyID, action, until)
	}
	return until, nil
}

func (s *sharedLimits) Block(ctx context.Context, keyID, action string, until time.Time) error {
	_ = s.local.Block(ctx, keyID, action, until)
	if !s.gate.Open() {
		return nil
	}
	if err := s.shared.Block(ctx, keyID, action, until); err != nil {
		s.failed(err)
	}
	return nil
}

func (s *sharedLimits) failed(err error) {
	if report, _ := s.gate.Failed(true); report {
		s.warn(err)
	}
}
