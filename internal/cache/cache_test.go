package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
)

func TestGetHitAndMiss(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	l := &loader{value: "v1"}
	ctx := context.Background()

	for i, want := range []bool{false, true, true} {
		got, hit, err := c.Get(ctx, "k", "", l.load)
		if err != nil || got != "v1" || hit != want {
			t.Errorf("Get #%d = %q, hit %v, %v; want %q, hit %v, nil", i, got, hit, err, "v1", want)
		}
	}
	if got := l.calls.Load(); got != 1 {
		t.Errorf("loads = %d, want 1", got)
	}
	if _, hit, _ := c.Get(ctx, "other", "", l.load); hit {
		t.Errorf("Get(other) hit, want a miss: keys must not share values")
	}
}

func TestTTLExpiry(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	c := newStringCache(t, Options[string]{TTL: time.Minute, Now: clock.Now})
	l := &loader{value: "v"}
	ctx := context.Background()

	steps := []struct {
		advance time.Duration
		wantHit bool
	}{
		{0, false},
		{59 * time.Second, true},
		{2 * time.Second, false}, // 61 s after the first load
		{30 * time.Second, true}, // 30 s after the reload
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if _, hit, err := c.Get(ctx, "k", "", l.load); err != nil || hit != s.wantHit {
			t.Errorf("step %d: hit %v, err %v; want hit %v, nil", i, hit, err, s.wantHit)
		}
	}
	if got, want := l.calls.Load(), int64(2); got != want {
		t.Errorf("loads = %d, want %d", got, want)
	}
}

func TestTTLZeroDisablesCache(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: 0, Remote: newFakeRemote(), Codec: stringCodec{}})
	l := &loader{value: "v"}
	for range 3 {
		if _, hit, err := c.Get(context.Background(), "k", "", l.load); err != nil || hit {
			t.Fatalf("Get: hit %v, err %v; want a miss", hit, err)
		}
	}
	if got := l.calls.Load(); got != 3 {
		t.Errorf("loads = %d, want 3", got)
	}
	if n, b := c.Stats(); n != 0 || b != 0 {
		t.Errorf("Stats = %d, %d; want 0, 0", n, b)
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	errUpstream := errors.New("upstream 503")
	l := &loader{err: errUpstream}
	ctx := context.Background()

	if _, _, err := c.Get(ctx, "k", "", l.load); !errors.Is(err, errUpstream) {
		t.Fatalf("Get err = %v, want %v", err, errUpstream)
	}
	l.err, l.value = nil, "ok"
	got, hit, err := c.Get(ctx, "k", "", l.load)
	if err != nil || hit || got != "ok" {
		t.Errorf("Get after error = %q, hit %v, %v; want a fresh load of %q", got, hit, err, "ok")
	}
	if got := l.calls.Load(); got != 2 {
		t.Errorf("loads = %d, want 2", got)
	}
}

func TestCancelledCallerStartsNoLoad(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	l := &loader{value: "v"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Get(ctx, "k", "", l.load); !errors.Is(err, context.Canceled) {
		t.Errorf("Get err = %v, want context.Canceled", err)
	}
	if got := l.calls.Load(); got != 0 {
		t.Errorf("loads = %d, want 0", got)
	}
}

func TestLoadPanicBecomesError(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	_, _, err := c.Get(context.Background(), "k", "", func(context.Context) (string, error) { panic("boom") })
	if !errors.Is(err, ErrLoadPanicked) {
		t.Errorf("Get err = %v, want ErrLoadPanicked", err)
	}
}

func TestDelete(t *testing.T) {
	c := newStringCache(t, Options[string]{TTL: time.Minute})
	l := &loader{value: "v"}
	ctx := context.Background()
	c.Get(ctx, "k", "", l.load)
	c.Delete("k")
	if _, hit, _ := c.Get(ctx, "k", "", l.load); hit {
		t.Errorf("Get after Delete hit, want a miss")
	}
}

func TestNewValidates(t *testing.T) {
	weigh := func(string, int) int { return 8 }
	tests := []struct {
		name string
		o    Options[int]
		want string // substring of the error; "" means success
	}{
		{"ok", Options[int]{Name: "n", TTL: time.Second, Weigh: weigh}, ""},
		{"disabled needs no weigher", Options[int]{Name: "n"}, ""},
		{"no name", Options[int]{TTL: time.Second, Weigh: weigh}, "Name"},
		{"negative ttl", Options[int]{Name: "n", TTL: -1}, "negative"},
		{"negative bytes", Options[int]{Name: "n", TTL: time.Second, Weigh: weigh, MaxBytes: -1}, "negative"},
		{"no weigher", Options[int]{Name: "n", TTL: time.Second}, "Weigh"},
		{"remote without codec", Options[int]{Name: "n", TTL: time.Second, Weigh: weigh, Remote: newFakeRemote()}, "Codec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.o)
			if c != nil {
				defer c.Close()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
