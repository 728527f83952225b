package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// gatedLoader blocks every load until release is closed, so that a test can
// line callers up behind one flight (synctest.Wait tells when they are).
type gatedLoader struct {
	calls   atomic.Int64
	release chan struct{}
	ctxErr  atomic.Value // error seen by the load when released
}

func (g *gatedLoader) load(ctx context.Context) (string, error) {
	g.calls.Add(1)
	select {
	case <-g.release:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	g.ctxErr.Store(errBox{ctx.Err()})
	return "v", nil
}

type errBox struct{ err error }

func TestConcurrentGetsShareOneLoad(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Minute} {
		t.Run(ttl.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newStringCache(t, Options[string]{TTL: ttl})
				defer c.Close() // before the bubble ends: otter's goroutine lives in it
				g := &gatedLoader{release: make(chan struct{})}
				var wg sync.WaitGroup
				var bad atomic.Int64
				for range 50 {
					wg.Go(func() {
						v, _, err := c.Get(context.Background(), "k", "", g.load)
						if err != nil || v != "v" {
							bad.Add(1)
						}
					})
				}
				synctest.Wait() // all 50 are waiting on the flight
				close(g.release)
				wg.Wait()
				if got := g.calls.Load(); got != 1 {
					t.Errorf("loads = %d, want 1", got)
				}
				if got := bad.Load(); got != 0 {
					t.Errorf("%d callers got an error or a wrong value", got)
				}
			})
		})
	}
}

func TestFlightKeysSeparateLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute})
		defer c.Close()
		g := &gatedLoader{release: make(chan struct{})}
		var wg sync.WaitGroup
		for i := range 20 {
			tenant := []string{"tenant-a", "tenant-b"}[i%2]
			wg.Go(func() { c.Get(context.Background(), "k", tenant+"|k", g.load) })
		}
		synctest.Wait()
		close(g.release)
		wg.Wait()
		if got := g.calls.Load(); got != 2 {
			t.Errorf("loads = %d, want 2 (one per flight key)", got)
		}
		// The value is shared across flight keys once cached.
		if _, hit, _ := c.Get(context.Background(), "k", "tenant-c|k", g.load); !hit {
			t.Errorf("Get by a third flight key missed, want a memory hit")
		}
	})
}

func TestCancelledWaiterLeavesOthersAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute})
		defer c.Close()
		g := &gatedLoader{release: make(chan struct{})}

		firstCtx, cancelFirst := context.WithCancel(context.Background())
		firstErr := make(chan error, 1)
		go func() {
			_, _, err := c.Get(firstCtx, "k", "", g.load)
			firstErr <- err
		}()
		synctest.Wait() // the first caller started the load
		type result struct {
			v   string
			err error
		}
		second := make(chan result, 1)
		go func() {
			v, _, err := c.Get(context.Background(), "k", "", g.load)
			second <- result{v, err}
		}()
		synctest.Wait()

		cancelFirst()
		if err := <-firstErr; !errors.Is(err, context.Canceled) {
			t.Errorf("first caller err = %v, want context.Canceled", err)
		}
		close(g.release)
		r := <-second
		if r.err != nil || r.v != "v" {
			t.Errorf("second caller = %q, %v; want %q, nil", r.v, r.err, "v")
		}
		if box, _ := g.ctxErr.Load().(errBox); box.err != nil {
			t.Errorf("load's ctx ended (%v) when the first caller left", box.err)
		}
		if got := g.calls.Load(); got != 1 {
			t.Errorf("loads = %d, want 1", got)
		}
	})
}

func TestLoadTimeoutBoundsDetachedLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute, LoadTimeout: 5 * time.Second})
		defer c.Close()
		g := &gatedLoader{release: make(chan struct{})} // never released
		start := time.Now()
		_, _, err := c.Get(context.Background(), "k", "", g.load)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get err = %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("load ended after %v, want the 5s LoadTimeout", got)
		}
	})
}

func TestLoadKeepsFirstCallerValues(t *testing.T) {
	type ctxKey struct{}
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	ctx := context.WithValue(context.Background(), ctxKey{}, "req-1")
	var seen any
	c.Get(ctx, "k", "", func(ctx context.Context) (string, error) {
		seen = ctx.Value(ctxKey{})
		return "v", nil
	})
	if seen != "req-1" {
		t.Errorf("load saw ctx value %v, want %q (request-scoped values must reach the load)", seen, "req-1")
	}
}

func TestLoadStopsWhenEveryWaiterLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute})
		defer c.Close()
		g := &gatedLoader{release: make(chan struct{})} // never released
		loadEnded := make(chan error, 1)
		load := func(ctx context.Context) (string, error) {
			v, err := g.load(ctx)
			loadEnded <- err
			return v, err
		}
		var cancels []context.CancelFunc
		var wg sync.WaitGroup
		for range 3 {
			ctx, cancel := context.WithCancel(context.Background())
			cancels = append(cancels, cancel)
			wg.Go(func() { c.Get(ctx, "k", "", load) })
		}
		synctest.Wait()
		cancels[0]()
		cancels[1]()
		synctest.Wait()
		select {
		case err := <-loadEnded:
			t.Fatalf("load ended (%v) while a waiter was still there", err)
		default:
		}
		cancels[2]()
		wg.Wait()
		synctest.Wait()
		select {
		case err := <-loadEnded:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("load ended with %v, want context.Canceled", err)
			}
		default:
			t.Fatal("load still running after every waiter left")
		}
		// A new caller starts a fresh load rather than joining the dead one.
		close(g.release)
		if v, _, err := c.Get(context.Background(), "k", "", g.load); err != nil || v != "v" {
			t.Errorf("Get after abandonment = %q, %v; want a fresh load", v, err)
		}
		if got := g.calls.Load(); got != 2 {
			t.Errorf("loads = %d, want 2", got)
		}
	})
}

func TestLoadCarriesFirstCallerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute, LoadTimeout: time.Minute})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var got time.Time
		c.Get(ctx, "k", "", func(ctx context.Context) (string, error) {
			got, _ = ctx.Deadline()
			return "v", nil
		})
		if want, _ := ctx.Deadline(); !got.Equal(want) {
			t.Errorf("load deadline = %v, want the caller's %v", got, want)
		}
	})
}

func TestLaterCallerOutlivesShortFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newStringCache(t, Options[string]{TTL: time.Minute, LoadTimeout: time.Minute})
		defer c.Close()
		var calls atomic.Int64
		load := func(ctx context.Context) (string, error) {
			calls.Add(1)
			select {
			case <-time.After(2 * time.Second):
				return "v", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		short, cancelShort := context.WithTimeout(context.Background(), time.Second)
		defer cancelShort()
		shortErr := make(chan error, 1)
		go func() { _, _, err := c.Get(short, "k", "", load); shortErr <- err }()
		synctest.Wait()
		v, _, err := c.Get(context.Background(), "k", "", load)
		if err != nil || v != "v" {
			t.Errorf("patient caller = %q, %v; want %q from a load of its own", v, err, "v")
		}
		if err := <-shortErr; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("short caller err = %v, want context.DeadlineExceeded", err)
		}
		if got := calls.Load(); got != 2 {
			t.Errorf("loads = %d, want 2", got)
		}
	})
}
