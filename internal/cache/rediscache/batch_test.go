package rediscache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cache/rediscache/redistest"
)

// TestReplicaPrefetchesInOneRoundTrip holds that a second replica brings
// a request's worth of values from Redis in one round trip (one pipeline
// of bounded reads, bounds.go), and keeps them.
func TestReplicaPrefetchesInOneRoundTrip(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	sb := openStore(t, url, prefix)
	a, b := replica(t, openStore(t, url, prefix)), replica(t, sb)
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
	var trips tripCounter
	sb.client.AddHook(&trips)
	if n := b.Prefetch(ctx, append(ids, "absent")); n != 40 {
		t.Errorf("Prefetch brought %d of 40", n)
	}
	for _, id := range ids {
		if got, ok := b.Peek(id); !ok || got.ID != id {
			t.Fatalf("Peek(%s) = %+v, %v; want it in replica B's memory", id, got, ok)
		}
	}
	if cmds, pipes, inPipes := trips.counts(); cmds != 0 || pipes != 1 || inPipes != 41 {
		t.Errorf("replica B sent %d commands and %d pipelines of %d commands, want 0 and 1 of 41", cmds, pipes, inPipes)
	}
}

// tripCounter is a go-redis hook that counts what a client sends: single
// commands (but a connection's HELLO), and pipelines with the commands in
// them.
type tripCounter struct {
	mu                   sync.Mutex
	cmds, pipes, inPipes int
}

func (c *tripCounter) counts() (cmds, pipes, inPipes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmds, c.pipes, c.inPipes
}

func (c *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" { // a new connection's handshake
			c.mu.Lock()
			c.cmds++
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (c *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		c.pipes++
		c.inPipes += len(cmds)
		c.mu.Unlock()
		return next(ctx, cmds)
	}
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
