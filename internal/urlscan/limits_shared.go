package urlscan

import (
	"context"
	"sync"
	"time"
)

// sharedCooloff is how long a failing shared store is left alone, and
// sharedWarnEvery how often its failure is logged.
const (
	sharedCooloff   = time.Second
	sharedWarnEvery = 30 * time.Second
)

// NewSharedLimits returns a LimitStore that keeps every block in this
// process's memory and also in shared (Redis), so a replica learns what
// another replica was told. The memory copy answers first: a replica that
// saw a 429 holds the key back even while the shared store is down. A
// failing shared store is skipped for a second after each failure, so a hung
// Redis cannot slow every urlscan.io call, and its errors never reach the
// caller; warn (may be nil) hears of them at most every 30 seconds.
func NewSharedLimits(shared LimitStore, now func() time.Time, warn func(error)) LimitStore {
	if now == nil {
		now = time.Now
	}
	if warn == nil {
		warn = func(error) {}
	}
	return &sharedLimits{local: NewMemoryLimits(now), shared: shared, now: now, warn: warn}
}

type sharedLimits struct {
	local  LimitStore
	shared LimitStore
	now    func() time.Time
	warn   func(error)

	mu       sync.Mutex
	skipTill time.Time // shared store left alone until then
	warned   time.Time // last warning
}

func (s *sharedLimits) BlockedUntil(ctx context.Context, keyID, action string) (time.Time, error) {
	if until, _ := s.local.BlockedUntil(ctx, keyID, action); until.After(s.now()) {
		return until, nil
	}
	if !s.usable() {
		return time.Time{}, nil
	}
	until, err := s.shared.BlockedUntil(ctx, keyID, action)
	if err != nil {
		s.failed(err)
		return time.Time{}, nil
	}
	if until.After(s.now()) {
		// Remember it here too, so the next call asks no one.
		_ = s.local.Block(ctx, keyID, action, until)
	}
	return until, nil
}

func (s *sharedLimits) Block(ctx context.Context, keyID, action string, until time.Time) error {
	_ = s.local.Block(ctx, keyID, action, until)
	if !s.usable() {
		return nil
	}
	if err := s.shared.Block(ctx, keyID, action, until); err != nil {
		s.failed(err)
	}
	return nil
}

func (s *sharedLimits) usable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.now().Before(s.skipTill)
}

func (s *sharedLimits) failed(err error) {
	now := s.now()
	s.mu.Lock()
	s.skipTill = now.Add(sharedCooloff)
	warn := now.Sub(s.warned) >= sharedWarnEvery
	if warn {
		s.warned = now
	}
	s.mu.Unlock()
	if warn {
		s.warn(err)
	}
}
