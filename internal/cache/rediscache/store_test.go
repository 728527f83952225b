package rediscache

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cache/rediscache/redistest"
	"urlscan-relay/internal/cooloff"
)

// result stands in for a mapped urlscan result.
type result struct {
	ID      string
	Verdict string
	Tags    []string
}

// jsonCodec is the remote tier's Codec for result in these tests.
type jsonCodec struct{}

func (jsonCodec) Marshal(v result) ([]byte, error) { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte) (result, error) {
	var v result
	err := json.Unmarshal(b, &v)
	return v, err
}

func weighResult(k string, v result) int { return len(k) + len(v.ID) + len(v.Verdict) + 64 }

// replica is one relay instance's result cache: memory of its own, the
// shared Redis tier behind it.
func replica(t *testing.T, s *Store) *cache.Cache[result] {
	t.Helper()
	return replicaWith(t, s, 0)
}

// replicaWith sets the cache's remote cool-off; a tiny one sends every
// lookup to Redis, to time go-redis itself.
func replicaWith(t *testing.T, s *Store, coolFor time.Duration) *cache.Cache[result] {
	t.Helper()
	c, err := cache.New(cache.Options[result]{
		Name: "result", TTL: time.Hour, Weigh: weighResult,
		Remote: s.Remote("result"), Codec: jsonCodec{}, RemoteGate: cooloff.New(coolFor, 0, nil),
	})
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

type countingLoad struct{ calls atomic.Int64 }

func (l *countingLoad) fn(id string) func(context.Context) (result, error) {
	return func(context.Context) (result, error) {
		l.calls.Add(1)
		return result{ID: id, Verdict: "malicious", Tags: []string{"phishing"}}, nil
	}
}

func TestTwoReplicasShareOneRedis(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	a, b := replica(t, openStore(t, url, prefix)), replica(t, openStore(t, url, prefix))
	ctx := context.Background()

	var la, lb countingLoad
	if _, hit, err := a.Get(ctx, "scan-1", "", la.fn("scan-1")); err != nil || hit {
		t.Fatalf("replica A: hit %v, %v; want a load", hit, err)
	}
	got, hit, err := b.Get(ctx, "scan-1", "", lb.fn("other"))
	if err != nil || !hit || got.ID != "scan-1" || got.Tags[0] != "phishing" {
		t.Errorf("replica B = %+v, hit %v, %v; want A's value from Redis", got, hit, err)
	}
	if n := lb.calls.Load(); n != 0 {
		t.Errorf("replica B loads = %d, want 0", n)
	}

	// The key is namespaced and expires with the cache TTL.
	raw := rawClient(t, url)
	ttl, err := raw.PTTL(ctx, prefix+"result:scan-1").Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("PTTL(%sresult:scan-1) = %v, %v; want just under 1h", prefix, ttl, err)
	}
}

func TestLimitsSharedAcrossStores(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	a, b := openStore(t, url, prefix).Limits(), openStore(t, url, prefix).Limits()
	ctx := context.Background()
	now := time.Now()

	if got, err := b.BlockedUntil(ctx, "key1", "search"); err != nil || !got.IsZero() {
		t.Fatalf("BlockedUntil before any mark = %v, %v; want zero, nil", got, err)
	}
	steps := []struct {
		name  string
		block time.Time
		want  time.Time
	}{
		{"first mark", now.Add(30 * time.Second), now.Add(30 * time.Second)},
		{"earlier mark is ignored", now.Add(10 * time.Second), now.Add(30 * time.Second)},
		{"later mark extends", now.Add(45 * time.Second), now.Add(45 * time.Second)},
		{"past mark is ignored", now.Add(-time.Second), now.Add(45 * time.Second)},
	}
	for _, s := range steps {
		if err := a.Block(ctx, "key1", "search", s.block); err != nil {
			t.Fatalf("%s: Block: %v", s.name, err)
		}
		got, err := b.BlockedUntil(ctx, "key1", "search")
		if err != nil || got.UnixMilli() != s.want.UnixMilli() {
			t.Errorf("%s: BlockedUntil on the other store = %v, %v; want %v", s.name, got, err, s.want)
		}
	}
	// Marks are per (key, action).
	for _, other := range [][2]string{{"key2", "search"}, {"key1", "result"}} {
		if got, err := b.BlockedUntil(ctx, other[0], other[1]); err != nil || !got.IsZero() {
			t.Errorf("BlockedUntil(%s, %s) = %v, %v; want zero", other[0], other[1], got, err)
		}
	}
	ttl, err := rawClient(t, url).PTTL(ctx, prefix+"limit:key1:search").Result()
	if err != nil || ttl <= 40*time.Second || ttl > 45*time.Second {
		t.Errorf("mark PTTL = %v, %v; want the time left until the reset (~45s)", ttl, err)
	}
}

func TestRedisStoppedMidRun(t *testing.T) {
	srv := redistest.Start(t)
	prefix := uniquePrefix(t)
	storeA, storeB := openStore(t, srv.URL(), prefix), openStore(t, srv.URL(), prefix)
	a, b := replica(t, storeA), replicaWith(t, storeB, time.Nanosecond)
	ctx := context.Background()
	var l countingLoad
	a.Get(ctx, "scan-1", "", l.fn("scan-1"))
	if err := storeA.Limits().Block(ctx, "key1", "search", time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Block: %v", err)
	}

	srv.Kill()

	// Every answer still comes, from memory or the origin, and quickly.
	const bound = 500 * time.Millisecond
	lookups := []struct {
		c       *cache.Cache[result]
		key     string
		wantHit bool
	}{
		{a, "scan-1", true},  // A's memory
		{b, "scan-1", false}, // B never saw it; Redis is gone
		{a, "scan-2", false},
	}
	for i := range 30 { // B asks Redis each time: past go-redis's dial-failure threshold (PoolSize)
		lookups = append(lookups, struct {
			c       *cache.Cache[result]
			key     string
			wantHit bool
		}{b, fmt.Sprintf("more-%d", i), false})
	}
	for _, lk := range lookups {
		start := time.Now()
		got, hit, err := lk.c.Get(ctx, lk.key, "", l.fn(lk.key))
		if took := time.Since(start); took > bound {
			t.Errorf("Get(%s) took %v with Redis down, want < %v", lk.key, took, bound)
		}
		if err != nil || hit != lk.wantHit || got.ID != lk.key {
			t.Errorf("Get(%s) = %+v, hit %v, %v; want %s, hit %v, nil", lk.key, got, hit, err, lk.key, lk.wantHit)
		}
	}

	// The marks and the probe fail, and fail fast.
	calls := []struct {
		name string
		call func() error
	}{
		{"BlockedUntil", func() error { _, err := storeA.Limits().BlockedUntil(ctx, "key1", "search"); return err }},
		{"Block", func() error { return storeA.Limits().Block(ctx, "key1", "search", time.Now().Add(time.Minute)) }},
		{"Ping", func() error { return storeA.Ping(ctx) }},
	}
	for range 10 {
		for _, c := range calls {
			start := time.Now()
			err := c.call()
			if took := time.Since(start); took > bound {
				t.Errorf("%s took %v with Redis down, want < %v", c.name, took, bound)
			}
			if err == nil {
				t.Errorf("%s with Redis down: nil error, want one", c.name)
			}
		}
	}
}

func TestOpenWhileRedisIsDown(t *testing.T) {
	port := redistest.FreePort(t) // nothing listens here yet
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	start := time.Now()
	s, err := Open(context.Background(), url, Options{KeyPrefix: uniquePrefix(t)})
	if err != nil {
		t.Fatalf("Open with Redis down: %v, want a Store", err)
	}
	defer s.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Open took %v, want < 1s", took)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Errorf("Ping with Redis down: nil, want an error")
	}

	redistest.StartOn(t, port)
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping once Redis is up: %v, want nil (the Store must dial again)", err)
	}
}

func TestOpenRejectsBadURLWithoutLeakingIt(t *testing.T) {
	const secret = "s3cr3t-pa55"
	for _, raw := range []string{
		"http://user:" + secret + "@localhost:6379/0",
		"redis://user:" + secret + "@localhost:6379/notadb",
		"redis://user:" + secret + "@local host:6379/0",
		"redis://user:" + secret + "@localhost:6379/0?bogus_option=1",
		// A query value or a path is quoted by go-redis's own errors.
		"redis://localhost:6379/0?dial_timeout=" + secret,
		"redis://localhost:6379/0?max_retries=" + secret,
		"redis://localhost:6379/" + secret,
	} {
		s, err := Open(context.Background(), raw, Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", strings.ReplaceAll(raw, secret, "***"))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error %q carries the password", err)
		}
	}
}

func TestRemoteRefusesEndlessTTL(t *testing.T) {
	s := openStore(t, testURL(t), uniquePrefix(t))
	if err := s.Remote("search").Set(context.Background(), "k", []byte("v"), 0); err == nil {
		t.Errorf("Set with ttl 0 succeeded, want an error: nothing is kept forever")
	}
}

func rawClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHungRedisCostsOnlyTheTimeout(t *testing.T) {
	srv := redistest.Start(t)
	s := openStore(t, srv.URL(), uniquePrefix(t))
	c := replica(t, s)
	ctx := context.Background()
	freeze(t, srv, s)

	const bound = DefaultTimeout + 200*time.Millisecond
	var l countingLoad
	for _, key := range []string{"a", "b"} { // the second skips Redis (cache cool-off)
		tookAtMost(t, bound, "Get("+key+")", func() {
			if _, _, err := c.Get(ctx, key, "", l.fn(key)); err != nil {
				t.Errorf("Get(%s): %v", key, err)
			}
		})
	}
	tookAtMost(t, bound, "BlockedUntil", func() {
		if _, err := s.Limits().BlockedUntil(ctx, "key1", "search"); err == nil {
			t.Errorf("BlockedUntil with Redis hung: nil error, want a timeout")
		}
	})
}

// freeze stops srv once s has reached it, until the test ends. A stopped
// process keeps its sockets open and answers nothing, as a partitioned
// Redis would.
func freeze(t *testing.T, srv *redistest.Server, s *Store) {
	t.Helper()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Thaw() })
}

// tookAtMost runs f and fails the test when f took longer than bound.
func tookAtMost(t *testing.T, bound time.Duration, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if took := time.Since(start); took > bound {
		t.Errorf("%s took %v with Redis hung, want < %v", what, took, bound)
	}
}

func TestGoRedisLoggerWritesStructuredDebug(t *testing.T) {
	var buf strings.Builder
	l := GoRedisLogger{L: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf(context.Background(), "failed to dial after %d attempts", 1)
	var line map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	if line["msg"] != "failed to dial after 1 attempts" || line["level"] != "DEBUG" || line["component"] != "go-redis" {
		t.Errorf("log line = %v, want the formatted message at DEBUG from component go-redis", line)
	}
}

// TestCacheDeadlineBoundsEachCommand holds that a cache's commands to a
// hung Redis end at the cache's RemoteTimeout, single reads, writes and
// batch reads alike, even under a Store whose own timeout (and so its
// socket timeouts) is far longer.
func TestCacheDeadlineBoundsEachCommand(t *testing.T) {
	srv := redistest.Start(t)
	s, err := Open(context.Background(), srv.URL(), Options{KeyPrefix: uniquePrefix(t), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	const remoteTimeout = 150 * time.Millisecond
	c, err := cache.New(cache.Options[result]{
		Name: "result", TTL: time.Hour, Weigh: weighResult,
		Remote: s.Remote("result"), Codec: jsonCodec{}, RemoteTimeout: remoteTimeout,
		RemoteGate: cooloff.New(time.Nanosecond, 0, nil), // every call goes to Redis
	})
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(c.Close)
	ctx := context.Background()
	freeze(t, srv, s)

	// Well under the Store's 10 s, with room for a loaded machine.
	const bound = remoteTimeout + 2*time.Second
	var l countingLoad
	tookAtMost(t, 2*bound, "Get (a read, then a write)", func() {
		if _, _, err := c.Get(ctx, "a", "", l.fn("a")); err != nil {
			t.Errorf("Get: %v", err)
		}
	})
	tookAtMost(t, bound, "Prefetch", func() {
		if n := c.Prefetch(ctx, []string{"b", "c"}); n != 0 {
			t.Errorf("Prefetch brought %d with Redis hung", n)
		}
	})
}
