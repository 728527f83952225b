package rediscache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"urlscan-relay/internal/cache/rediscache/redistest"
)

func TestScanLogKeepsNewestFirstWithinMax(t *testing.T) {
	s := openStore(t, testURL(t), uniquePrefix(t))
	log := s.Scans()
	ctx := context.Background()
	for i := range 5 {
		if err := log.Append(ctx, "k1", []byte(fmt.Sprint(i)), 3, time.Minute); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	got, err := log.Recent(ctx, "k1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0]) != "4" || string(got[2]) != "2" {
		t.Errorf("Recent = %q, want the newest three, newest first", got)
	}
	// Recent never reads past max, whatever the list holds.
	if got, _ := log.Recent(ctx, "k1", 2); len(got) != 2 {
		t.Errorf("Recent(max 2) = %d records", len(got))
	}
	if got, _ := log.Recent(ctx, "other", 10); len(got) != 0 {
		t.Errorf("another key's log = %q, want empty", got)
	}
	ttl, err := s.client.PTTL(ctx, s.prefix+"scans:k1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("log TTL = %v, %v; want at most the keep of a minute", ttl, err)
	}
	if err := log.Append(ctx, "k1", []byte("x"), 0, time.Minute); err == nil {
		t.Error("Append with max 0 succeeded")
	}
}

// TestScanLogCommandsAreBounded holds that the scan log's commands to a
// hung Redis end at their caller's deadline (the scan book's Timeout, the
// one timer), even under a Store whose own timeout is far longer, and end
// at the socket timeouts when the caller gives no deadline.
func TestScanLogCommandsAreBounded(t *testing.T) {
	srv := redistest.Start(t)
	long, err := Open(context.Background(), srv.URL(), Options{KeyPrefix: uniquePrefix(t), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { long.Close() })
	short := openStore(t, srv.URL(), uniquePrefix(t))
	if err := long.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	freeze(t, srv, short)

	const deadline = 150 * time.Millisecond
	// Either way well under the long Store's 10 s, with room for a loaded
	// machine: a socket timeout is 250 ms, and go-redis retries once.
	const bound = 2 * time.Second
	for _, c := range []struct {
		name  string
		s     *Store
		dctx  func() (context.Context, context.CancelFunc)
		bound time.Duration
	}{
		{"caller's deadline", long, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), deadline)
		}, deadline + bound},
		{"no deadline", short, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, bound},
	} {
		log := c.s.Scans()
		ctx, cancel := c.dctx()
		tookAtMost(t, c.bound, c.name+": Append", func() {
			if err := log.Append(ctx, "k1", []byte("r"), 10, time.Minute); err == nil {
				t.Errorf("%s: Append with Redis hung: nil error, want a timeout", c.name)
			}
		})
		cancel()
		ctx, cancel = c.dctx()
		tookAtMost(t, c.bound, c.name+": Recent", func() {
			if _, err := log.Recent(ctx, "k1", 10); err == nil {
				t.Errorf("%s: Recent with Redis hung: nil error, want a timeout", c.name)
			}
		})
		cancel()
	}
}
