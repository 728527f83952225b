package rediscache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
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
