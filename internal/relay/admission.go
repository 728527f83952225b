package relay

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

// AdmissionPerCPU is how many observables, per CPU the Go runtime uses,
// may be waiting on urlscan.io at once across all requests when
// Config.Admission is not set: on 2 CPUs, eight requests of the standard
// shape (4 observables, 40 result documents), which keep both cores busy
// while every call waits its round trip.
const AdmissionPerCPU = 16

// gate bounds the upstream calls one request has in flight, and admits
// the request to the relay's cold work on its first call: a request that
// needs urlscan.io at all waits, in order of arrival, until the
// observables in flight leave room for its own. Past saturation requests
// wait their turn (within their deadline) instead of all running at once,
// each holding its goroutines, documents and buffers; an answer from
// memory never waits. The wait happens before any goroutine starts: the
// first call of a request is always entered from fetch's own goroutine.
type gate struct {
	slots    chan struct{}
	adm      *semaphore.Weighted // nil: no admission
	weight   int64
	once     sync.Once
	err      error // why the request was not admitted
	admitted bool
}

// newGate is the gate of a request about n observables.
func (s *Service) newGate(n int) *gate {
	return &gate{slots: make(chan struct{}, s.concurrency), adm: s.admission, weight: min(int64(max(n, 1)), s.admissionCap)}
}

// enter waits for admission, then for a free slot, or for ctx to end.
func (g *gate) enter(ctx context.Context) error {
	// A spent context must win even when a slot is free, so that no new
	// call starts after cancellation.
	if err := ctx.Err(); err != nil {
		return err
	}
	g.once.Do(func() {
		if g.adm != nil {
			g.err = g.adm.Acquire(ctx, g.weight)
			g.admitted = g.err == nil
		}
	})
	if g.err != nil {
		return g.err
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) leave() { <-g.slots }

// close gives the request's admission back; fetch calls it once every
// call has ended.
func (g *gate) close() {
	if g.admitted {
		g.adm.Release(g.weight)
	}
}
