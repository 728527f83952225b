package cache

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/cooloff"
)

func newRemoteCache(t *testing.T, r Remote, clock *clocktest.Clock, ttl time.Duration) *Cache[string] {
	t.Helper()
	return newStringCache(t, Options[string]{TTL: ttl, Remote: r, Codec: stringCodec{}, Now: clock.Now})
}

func TestRemoteWriteThroughAndReadThrough(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	ctx := context.Background()

	first := newRemoteCache(t, r, clock, 5*time.Minute)
	l1 := &loader{value: "scan"}
	if _, hit, err := first.Get(ctx, "k", "", l1.load); err != nil || hit {
		t.Fatalf("first Get: hit %v, %v; want a load", hit, err)
	}
	if got, want := r.ttls["k"], 5*time.Minute; got != want {
		t.Errorf("remote Set ttl = %v, want %v", got, want)
	}

	// A second replica: empty memory, same remote.
	second := newRemoteCache(t, r, clock, 5*time.Minute)
	l2 := &loader{value: "other"}
	for i := range 2 {
		v, hit, err := second.Get(ctx, "k", "", l2.load)
		if err != nil || !hit || v != "scan" {
			t.Errorf("second Get #%d = %q, hit %v, %v; want %q from a tier", i, v, hit, err, "scan")
		}
	}
	if got := l2.calls.Load(); got != 0 {
		t.Errorf("second replica loads = %d, want 0", got)
	}
	if gets, _ := r.counts(); gets != 2 {
		t.Errorf("remote gets = %d, want 2 (one per replica; the second Get is a memory hit)", gets)
	}
}

func TestRemoteValueKeepsItsExpiry(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	ctx := context.Background()
	first := newRemoteCache(t, r, clock, 5*time.Minute)
	first.Get(ctx, "k", "", (&loader{value: "v"}).load)

	// Four minutes later another replica reads it: one minute is left.
	clock.Advance(4 * time.Minute)
	second := newRemoteCache(t, r, clock, 5*time.Minute)
	l := &loader{value: "v2"}
	second.Get(ctx, "k", "", l.load)
	clock.Advance(61 * time.Second)
	r.mu.Lock()
	delete(r.data, "k") // as Redis would have expired it
	r.mu.Unlock()
	if _, hit, _ := second.Get(ctx, "k", "", l.load); hit {
		t.Errorf("Get hit 5m01s after the value was loaded, want a miss: TTL %v", 5*time.Minute)
	}
	if got := l.calls.Load(); got != 1 {
		t.Errorf("loads = %d, want 1", got)
	}
}

func TestRemoteExpiredEnvelopeIsAMiss(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	stale, _ := stringCodec{}.Marshal("stale")
	r.data["k"] = seal(stale, clock.Now().Add(-time.Second).UnixMilli())
	c := newRemoteCache(t, r, clock, time.Minute)
	v, hit, err := c.Get(context.Background(), "k", "", (&loader{value: "fresh"}).load)
	if err != nil || hit || v != "fresh" {
		t.Errorf("Get = %q, hit %v, %v; want a load of %q", v, hit, err, "fresh")
	}
}

func TestRemoteFailuresDegrade(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*fakeRemote, *clocktest.Clock)
		wantCalls bool // the remote is called again on the next key (no cool-off)
	}{
		{"get fails", func(r *fakeRemote, _ *clocktest.Clock) { r.failGet = errRemoteDown }, false},
		{"set fails", func(r *fakeRemote, _ *clocktest.Clock) { r.failSet = errRemoteDown }, false},
		{"garbage value", func(r *fakeRemote, _ *clocktest.Clock) { r.data["k"] = []byte("not an envelope") }, true},
		{"undecodable payload", func(r *fakeRemote, c *clocktest.Clock) {
			r.data["k"] = seal([]byte{0xff, 0x00}, c.Now().Add(time.Hour).UnixMilli())
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clocktest.New(time.Unix(1_700_000_000, 0))
			r := newFakeRemote()
			tt.setup(r, clock)
			c := newRemoteCache(t, r, clock, time.Minute)
			l := &loader{value: "v"}
			v, hit, err := c.Get(context.Background(), "k", "", l.load)
			if err != nil || hit || v != "v" {
				t.Fatalf("Get = %q, hit %v, %v; want a load of %q", v, hit, err, "v")
			}
			if got := counterValue(t, c.m.remoteErrors); got != 1 {
				t.Errorf("remote errors = %v, want 1", got)
			}
			gets, _ := r.counts()
			c.Get(context.Background(), "k2", "", l.load)
			gets2, _ := r.counts()
			if called := gets2 > gets; called != tt.wantCalls {
				t.Errorf("remote called for the next key: %v, want %v", called, tt.wantCalls)
			}
		})
	}
}

func TestRemoteCooloffEnds(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	r.failGet = errRemoteDown
	c := newStringCache(t, Options[string]{
		TTL: time.Minute, Remote: r, Codec: stringCodec{}, Now: clock.Now, RemoteGate: cooloff.New(2*time.Second, 0, clock.Now),
	})
	l := &loader{value: "v"}
	ctx := context.Background()
	c.Get(ctx, "a", "", l.load)
	c.Get(ctx, "b", "", l.load)
	if gets, sets := r.counts(); gets != 1 || sets != 0 {
		t.Errorf("during cool-off: remote gets %d, sets %d; want 1, 0", gets, sets)
	}
	clock.Advance(2 * time.Second)
	r.mu.Lock()
	r.failGet = nil
	r.mu.Unlock()
	c.Get(ctx, "c", "", l.load)
	if gets, sets := r.counts(); gets != 2 || sets != 1 {
		t.Errorf("after cool-off: remote gets %d, sets %d; want 2, 1", gets, sets)
	}
}

// Two caches on one store share its gate: a failure one meets spares the
// other the remote for the cool-off.
func TestRemoteGateIsShared(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	r.failGet = errRemoteDown
	gate := cooloff.New(time.Second, 0, clock.Now)
	opts := Options[string]{TTL: time.Minute, Remote: r, Codec: stringCodec{}, Now: clock.Now, RemoteGate: gate}
	first, second := newStringCache(t, opts), newStringCache(t, opts)
	l := &loader{value: "v"}
	ctx := context.Background()
	first.Get(ctx, "a", "", l.load)
	second.Get(ctx, "b", "", l.load)
	if gets, sets := r.counts(); gets != 1 || sets != 0 {
		t.Errorf("remote gets %d, sets %d; want 1, 0: the second cache should skip the remote the first found down", gets, sets)
	}
	clock.Advance(time.Second)
	second.Get(ctx, "c", "", l.load)
	if gets, _ := r.counts(); gets != 2 {
		t.Errorf("after the cool-off: remote gets %d, want 2", gets)
	}
}

func TestHungRemoteCostsOnlyTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newFakeRemote()
		r.hang = true
		c := newStringCache(t, Options[string]{
			TTL: time.Minute, Remote: r, Codec: stringCodec{}, RemoteTimeout: 80 * time.Millisecond,
		})
		defer c.Close()
		l := &loader{value: "v"}
		start := time.Now()
		v, _, err := c.Get(context.Background(), "k", "", l.load)
		if err != nil || v != "v" {
			t.Fatalf("Get = %q, %v; want %q, nil", v, err, "v")
		}
		// The Get timed out once; the Set was skipped by the cool-off.
		if got := time.Since(start); got != 80*time.Millisecond {
			t.Errorf("Get took %v, want the 80ms remote timeout", got)
		}
		start = time.Now()
		c.Get(context.Background(), "k2", "", l.load)
		if got := time.Since(start); got != 0 {
			t.Errorf("Get during cool-off took %v, want no remote wait", got)
		}
	})
}

func TestRemoteExpiryIsClampedToTheTTL(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	r := newFakeRemote()
	// A value claiming fifty years of life, as a tampered Redis could hold.
	planted, _ := stringCodec{}.Marshal("planted")
	r.data["k"] = seal(planted, clock.Now().AddDate(50, 0, 0).UnixMilli())
	c := newRemoteCache(t, r, clock, time.Minute)
	l := &loader{value: "fresh"}
	if v, hit, _ := c.Get(context.Background(), "k", "", l.load); !hit || v != "planted" {
		t.Fatalf("first Get = %q, hit %v; want the remote's value", v, hit)
	}
	clock.Advance(time.Minute + time.Second)
	r.mu.Lock()
	delete(r.data, "k") // Redis dropped it
	r.mu.Unlock()
	if v, hit, _ := c.Get(context.Background(), "k", "", l.load); hit || v != "fresh" {
		t.Errorf("Get a TTL later = %q, hit %v; want a fresh load: a remote expiry is clamped to now + TTL", v, hit)
	}
}
