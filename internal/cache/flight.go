package cache

import (
	"context"
	"errors"
	"sync"
	"time"
)

// flights collapses concurrent loads of one flight key into one, like
// singleflight, but ties the load's life to its waiters: the load runs on
// a context that keeps the first caller's values and deadline but not its
// cancellation, and that is cancelled as soon as every waiter has left. A
// load nobody waits for any more stops instead of running on to fill the
// cache for no one.
type flights[V any] struct {
	mu sync.Mutex
	m  map[string]*flight[V]
}

// flight is one load in progress.
type flight[V any] struct {
	done     chan struct{} // closed once f and err are set
	f        filled[V]
	err      error
	deadline time.Time // the load's deadline
	byCaller bool      // deadline is the first caller's, not LoadTimeout
	waiters  int       // guarded by flights.mu
	cancel   context.CancelFunc
}

// join returns the flight of key, starting it with run when there is none,
// and counts the caller as one of its waiters; the caller must leave or
// see done closed.
func (g *flights[V]) join(ctx context.Context, key string, timeout time.Duration, run func(context.Context) (filled[V], error)) *flight[V] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fl := g.m[key]; fl != nil {
		fl.waiters++
		return fl
	}
	if g.m == nil {
		g.m = make(map[string]*flight[V])
	}
	// The first caller's deadline, not only LoadTimeout, so that the
	// upstream client knows how long the answer may take; callers who join
	// later with more time left start a load of their own if this one runs
	// out (see Get).
	deadline, byCaller := time.Now().Add(timeout), false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, byCaller = d, true
	}
	lctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	fl := &flight[V]{done: make(chan struct{}), waiters: 1, cancel: cancel, deadline: deadline, byCaller: byCaller}
	g.m[key] = fl
	go func() {
		f, err := run(lctx)
		fl.cancel()
		g.mu.Lock()
		if g.m[key] == fl {
			delete(g.m, key)
		}
		g.mu.Unlock()
		fl.f, fl.err = f, err
		close(fl.done)
	}()
	return fl
}

// leave stops counting a waiter who gave up; the last one to leave cancels
// the load and unlists the flight, so a later caller starts afresh rather
// than joining a load that is being torn down.
func (g *flights[V]) leave(key string, fl *flight[V]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fl.waiters--; fl.waiters > 0 {
		return
	}
	fl.cancel()
	if g.m[key] == fl {
		delete(g.m, key)
	}
}

// outlived reports whether a waiter with ctx should start a load of its
// own after fl failed: fl ran out of its first caller's deadline while ctx
// still has more time. A flight that ran out of LoadTimeout is not tried
// again.
func (fl *flight[V]) outlived(ctx context.Context) bool {
	if !fl.byCaller || ctx.Err() != nil || !errors.Is(fl.err, context.DeadlineExceeded) {
		return false
	}
	d, ok := ctx.Deadline()
	return !ok || d.After(fl.deadline)
}
