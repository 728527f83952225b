package rediscache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cache/rediscache/redistest"
)

// TestReplicaPrefetchesInOneMGET holds that a second replica brings a
// request's worth of values from Redis in one command, and keeps them.
func TestReplicaPrefetchesInOneMGET(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	a, b := replica(t, openStore(t, url, prefix)), replica(t, openStore(t, url, prefix))
	ctx := context.Background()
	var ids []string
	var la countingLoad
	for i := range 40 {
		id := fmt.Sprintf("scan-%d", i)
		ids = append(ids, id)
		if _, _, err := a.Get(ctx, id, "", la.fn(id)); err != nil {
			t.Fatal(err)
		}
	}
	raw := rawClient(t, url)
	mgets := func() int64 { return commandCalls(t, raw, "mget") }
	gets := func() int64 { return commandCalls(t, raw, "get") }
	m0, g0 := mgets(), gets()
	if n := b.Prefetch(ctx, append(ids, "absent")); n != 40 {
		t.Errorf("Prefetch brought %d of 40", n)
	}
	for _, id := range ids {
		if got, ok := b.Peek(id); !ok || got.ID != id {
			t.Fatalf("Peek(%s) = %+v, %v; want it in replica B's memory", id, got, ok)
		}
	}
	if m, g := mgets()-m0, gets()-g0; m != 1 || g != 0 {
		t.Errorf("replica B made %d MGETs and %d GETs, want 1 and 0", m, g)
	}
}

// commandCalls is how many times Redis ran cmd, from INFO commandstats.
func commandCalls(t *testing.T, raw *redis.Client, cmd string) int64 {
	t.Helper()
	info, err := raw.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls="); ok {
			n, err := strconv.ParseInt(rest[:strings.IndexByte(rest+",", ',')], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}

// BenchmarkRemoteGetMany measures one MGET of a request's 40 result
// documents as the cache sends it: with the deadline the cache gives
// every call.
func BenchmarkRemoteGetMany(b *testing.B) {
	srv := redistest.Start(b)
	s, err := Open(context.Background(), srv.URL(), Options{KeyPrefix: "urlscan-relay-bench:"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := s.Remote("result").(cache.BatchRemote)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = fmt.Sprintf("0123456789abcdef\x00%08d-0000-4000-8000-%012d", i/10, i)
		if err := r.Set(ctx, keys[i], []byte(strings.Repeat("v", 2<<10)), time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		vals, err := r.GetMany(ctx, keys)
		if err != nil || len(vals) != len(keys) || vals[0] == nil {
			b.Fatalf("GetMany = %d values, %v", len(vals), err)
		}
	}
}
