package urlscan

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/cooloff"
)

// flakyLimits is a shared store that can be made to fail, and counts calls.
type flakyLimits struct {
	LimitStore
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flakyLimits) BlockedUntil(ctx context.Context, keyID, action string) (time.Time, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return time.Time{}, errors.New("redis: connection refused")
	}
	return f.LimitStore.BlockedUntil(ctx, keyID, action)
}

func (f *flakyLimits) Block(ctx context.Context, keyID, action string, until time.Time) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errors.New("redis: connection refused")
	}
	return f.LimitStore.Block(ctx, keyID, action, until)
}

func TestSharedLimits(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	ctx := context.Background()

	shared := &flakyLimits{LimitStore: NewMemoryLimits(now)}
	var warnings atomic.Int64
	a := NewSharedLimits(shared, nil, now, func(error) { warnings.Add(1) })
	b := NewSharedLimits(shared, nil, now, nil)

	if err := a.Block(ctx, "k1", "search", now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if until, _ := b.BlockedUntil(ctx, "k1", "search"); !until.After(now()) {
		t.Error("replica b did not learn replica a's block")
	}
	calls := shared.calls.Load()
	if until, _ := b.BlockedUntil(ctx, "k1", "search"); !until.After(now()) || shared.calls.Load() != calls {
		t.Error("a block learnt from the shared store should be answered from memory next time")
	}

	shared.down.Store(true)
	if err := a.Block(ctx, "k2", "result", now().Add(time.Minute)); err != nil {
		t.Errorf("Block while the shared store is down = %v, want nil", err)
	}
	if until, err := a.BlockedUntil(ctx, "k2", "result"); err != nil || !until.After(now()) {
		t.Errorf("replica a forgot its own block while the shared store is down: %v %v", until, err)
	}
	calls = shared.calls.Load()
	for range 50 {
		if until, err := a.BlockedUntil(ctx, "k3", "search"); err != nil || !until.IsZero() {
			t.Fatalf("unknown key while down = %v %v, want not blocked and no error", until, err)
		}
	}
	if shared.calls.Load() != calls {
		t.Errorf("a failing shared store was asked %d more times within its cool-off", shared.calls.Load()-calls)
	}
	if warnings.Load() != 1 {
		t.Errorf("warnings = %d, want 1 (rate-limited)", warnings.Load())
	}
	shared.down.Store(false)
	advance(2 * time.Second)
	if err := a.Block(ctx, "k4", "scan", now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if until, _ := b.BlockedUntil(ctx, "k4", "scan"); !until.After(now()) {
		t.Error("after the cool-off the shared store is used again")
	}
}

// One gate for one store: a failure the caches met keeps the rate-limit
// marks off Redis too, for the same cool-off, and a failure met here warns
// only when the gate lets it.
func TestSharedLimitsShareTheStoresGate(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	shared := &flakyLimits{LimitStore: NewMemoryLimits(clock.Now)}
	gate := cooloff.New(time.Second, time.Minute, clock.Now)
	var warnings atomic.Int64
	l := NewSharedLimits(shared, gate, clock.Now, func(error) { warnings.Add(1) })

	gate.Failed(true) // the caches' remote tier failed on the same store
	if _, err := l.BlockedUntil(ctx, "k", "search"); err != nil {
		t.Fatal(err)
	}
	if err := l.Block(ctx, "k", "scan", clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := shared.calls.Load(); n != 0 {
		t.Errorf("the shared store was called %d times within the cool-off another user of it started", n)
	}
	clock.Advance(time.Second)
	shared.down.Store(true)
	if _, err := l.BlockedUntil(ctx, "k", "search"); err != nil {
		t.Fatal(err)
	}
	if shared.calls.Load() != 1 || warnings.Load() != 0 {
		t.Errorf("after the cool-off: %d calls, %d warnings; want 1 call, and no warning within the gate's period", shared.calls.Load(), warnings.Load())
	}
	if gate.Open() {
		t.Error("a failure here did not close the shared gate")
	}
}

// plantedLimits is a shared store holding one mark, as a tampered Redis
// could; clear removes it.
type plantedLimits struct {
	until atomic.Int64 // unix nanoseconds; 0: no mark
}

func (p *plantedLimits) BlockedUntil(context.Context, string, string) (time.Time, error) {
	if n := p.until.Load(); n != 0 {
		return time.Unix(0, n), nil
	}
	return time.Time{}, nil
}

func (p *plantedLimits) Block(context.Context, string, string, time.Time) error { return nil }

func TestSharedMarkIsCappedAtMaxWait(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	ctx := context.Background()
	shared := &plantedLimits{}
	// A mark centuries ahead, as 10^15 seconds would be.
	shared.until.Store(math.MaxInt64)
	l := NewSharedLimits(shared, nil, now, nil)
	until, err := l.BlockedUntil(ctx, "k", "search")
	if err != nil {
		t.Fatal(err)
	}
	if limit := now().Add(maxWait); until.After(limit) || !until.After(now()) {
		t.Errorf("BlockedUntil = %v, want a block capped at %v", until, limit)
	}
	// The mark is deleted; a day later the key is free again, although the
	// replica remembered the planted mark.
	shared.until.Store(0)
	clock.Add(int64(maxWait + time.Second))
	if until, _ := l.BlockedUntil(ctx, "k", "search"); until.After(now()) {
		t.Errorf("BlockedUntil a day after the mark went = %v, want no block", until)
	}
}
