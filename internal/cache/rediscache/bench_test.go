package rediscache

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/cache/rediscache/redistest"
)

// benchKeys is the replica scenario's batch: 44 keys (4 searches and 40
// results of one request) of about 2 KB each, on a Redis of the
// benchmark's own.
func benchKeys(b *testing.B) (*Store, []string) {
	b.Helper()
	srv := redistest.Start(b)
	s, err := Open(context.Background(), srv.URL(), Options{KeyPrefix: "urlscan-relay-bench:"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	r := s.Remote("result")
	keys := make([]string, 44)
	for i := range keys {
		keys[i] = fmt.Sprintf("0123456789abcdef\x00%08d-0000-4000-8000-%012d", i/10, i)
		if err := r.Set(context.Background(), keys[i], []byte(strings.Repeat("v", 2000)), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

// BenchmarkGetMany44 is one batch read of the replica scenario through the
// cache tier's GetMany, with the deadline the cache gives every call.
func BenchmarkGetMany44(b *testing.B) {
	s, keys := benchKeys(b)
	r := s.Remote("result").(cache.BatchRemote)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		vals, err := r.GetMany(ctx, keys)
		if err != nil || len(vals) != len(keys) || len(vals[43]) != 2000 {
			b.Fatalf("GetMany = %d values, %v", len(vals), err)
		}
	}
}

// strlenScript is the bounded read measured against boundedGet's pipeline:
// for each key, its value, false, or its length alone when past ARGV[1]
// bytes (STRLEN looks before GET copies).
var strlenScript = redis.NewScript(`
local max = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.pcall('STRLEN', key)
  if type(n) ~= 'number' then
    out[i] = false
  elseif n > max then
    out[i] = n
  else
    out[i] = redis.call('GET', key)
  end
end
return out
`)

// BenchmarkBatchReadOptions compares, in one binary, the ways to read the
// replica scenario's batch in one round trip: plain MGET (unbounded),
// boundedGet's pipeline of GETRANGE key 0 max, and strlenScript.
func BenchmarkBatchReadOptions(b *testing.B) {
	s, keys := benchKeys(b)
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + "result:" + k
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(b *testing.B, n int, last int, err error) {
		if err != nil || n != len(keys) || last != 2000 {
			b.Fatalf("%d values, the last of %d bytes, %v", n, last, err)
		}
	}
	b.Run("mget", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vals, err := s.client.MGet(ctx, full...).Result()
			last, _ := vals[len(vals)-1].(string)
			check(b, len(vals), len(last), err)
		}
	})
	b.Run("getrange", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vals, err := s.boundedGet(ctx, kindResult, maxResultBytes, full)
			check(b, len(vals), len(vals[len(vals)-1]), err)
		}
	})
	b.Run("script", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vals, err := strlenScript.Run(ctx, s.client, full, maxResultBytes).Slice()
			last, _ := vals[len(vals)-1].(string)
			check(b, len(vals), len(last), err)
		}
	})
}
