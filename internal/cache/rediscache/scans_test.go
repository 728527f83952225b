package rediscache

import (
	"context"
	"fmt"
	"testing"
	"time"
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
