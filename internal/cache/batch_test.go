package cache

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// batchRemote is a fakeRemote that also reads many keys at once.
type batchRemote struct {
	*fakeRemote
	batches int
	keys    int
}

func (r *batchRemote) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	r.keys += len(keys)
	if r.failGet != nil {
		return nil, r.failGet
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = r.data[k]
	}
	return out, nil
}

func (r *batchRemote) batchCounts() (batches, keys int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batches, r.keys
}

func newBatchPair(t *testing.T) (writer, reader *Cache[string], remote *batchRemote) {
	t.Helper()
	remote = &batchRemote{fakeRemote: newFakeRemote()}
	o := Options[string]{TTL: time.Minute, Remote: remote, Codec: stringCodec{}}
	return newStringCache(t, o), newStringCache(t, o), remote
}

// TestPrefetchReadsInOneRoundTrip holds that a replica's lookups of one
// request cost one remote read, and that what it read stays in memory.
func TestPrefetchReadsInOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	writer, reader, remote := newBatchPair(t)
	for _, k := range []string{"a", "b", "c"} {
		if _, _, err := writer.Get(ctx, k, "", (&loader{value: "v-" + k}).load); err != nil {
			t.Fatal(err)
		}
	}
	gets0, _ := remote.counts()
	keys := []string{"c", "a", "d", "b", "a"}
	if n := reader.Prefetch(ctx, keys); n != 3 {
		t.Errorf("Prefetch brought %d keys, want 3", n)
	}
	if want := []string{"c", "a", "d", "b", "a"}; !slices.Equal(keys, want) {
		t.Errorf("Prefetch left the caller's keys as %q, want %q", keys, want)
	}
	if batches, keys := remote.batchCounts(); batches != 1 || keys != 4 {
		t.Errorf("Prefetch made %d batch reads of %d keys, want 1 of 4 (d absent, a once)", batches, keys)
	}
	for _, k := range []string{"a", "b", "c"} {
		if v, ok := reader.Peek(k); !ok || v != "v-"+k {
			t.Errorf("Peek(%s) = %q, %v after Prefetch; want it in memory", k, v, ok)
		}
	}
	if _, ok := reader.Peek("d"); ok {
		t.Error("Peek(d): an absent key was made up")
	}
	l := &loader{value: "fresh"}
	if v, hit, err := reader.Get(ctx, "b", "", l.load); err != nil || !hit || v != "v-b" || l.calls.Load() != 0 {
		t.Errorf("Get(b) = %q, hit %v, %v, %d loads; want the prefetched value", v, hit, err, l.calls.Load())
	}
	if gets, _ := remote.counts(); gets != gets0 {
		t.Errorf("after Prefetch, %d single remote reads; want none", gets-gets0)
	}
	// Memory already holds everything: no round trip at all.
	reader.Prefetch(ctx, []string{"a", "b"})
	if batches, _ := remote.batchCounts(); batches != 1 {
		t.Errorf("a Prefetch of keys in memory read the remote (%d batches)", batches)
	}
}

// TestPrefetchDistrustsTheRemote holds that undecodable and expired values
// are not brought, and that a failing remote is skipped for its cool-off.
func TestPrefetchDistrustsTheRemote(t *testing.T) {
	ctx := context.Background()
	_, reader, remote := newBatchPair(t)
	remote.data["garbage"] = []byte("not an envelope")
	old, _ := stringCodec{}.Marshal("old")
	remote.data["expired"] = seal(old, time.Now().Add(-time.Second).UnixMilli())
	remote.data["undecodable"] = seal([]byte{0xff, 0x00}, time.Now().Add(time.Minute).UnixMilli())
	if n := reader.Prefetch(ctx, []string{"garbage", "expired", "undecodable"}); n != 0 {
		t.Errorf("Prefetch brought %d untrustworthy values", n)
	}
	for _, k := range []string{"garbage", "expired", "undecodable"} {
		if _, ok := reader.Peek(k); ok {
			t.Errorf("%s is in memory", k)
		}
	}

	remote.mu.Lock()
	remote.failGet = errRemoteDown
	remote.mu.Unlock()
	reader.Prefetch(ctx, []string{"x"})
	reader.Prefetch(ctx, []string{"y"})
	if batches, _ := remote.batchCounts(); batches != 2 {
		t.Errorf("%d batch reads; want the failed one and then none during the cool-off", batches-1)
	}
}

// TestPrefetchWithoutBatchRemote holds that a plain Remote is left to Get.
func TestPrefetchWithoutBatchRemote(t *testing.T) {
	remote := newFakeRemote()
	c := newStringCache(t, Options[string]{TTL: time.Minute, Remote: remote, Codec: stringCodec{}})
	if n := c.Prefetch(context.Background(), []string{"a"}); n != 0 {
		t.Errorf("Prefetch brought %d without a batch remote", n)
	}
	if gets, _ := remote.counts(); gets != 0 {
		t.Errorf("Prefetch made %d single reads", gets)
	}
}

// BenchmarkPrefetchWarm measures what a request of the standard scenario
// (40 result documents) pays to prefetch once memory holds every key: the
// work of finding that there is nothing to read.
func BenchmarkPrefetchWarm(b *testing.B) {
	remote := &batchRemote{fakeRemote: newFakeRemote()}
	c := newStringCache(b, Options[string]{TTL: time.Minute, Remote: remote, Codec: stringCodec{}})
	ctx := context.Background()
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = fmt.Sprintf("0123456789abcdef\x00%08d-0000-4000-8000-%012d", i/10, i)
		if _, _, err := c.Get(ctx, keys[i], "", (&loader{value: "v"}).load); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if n := c.Prefetch(ctx, keys); n != 0 {
			b.Fatalf("Prefetch brought %d keys memory holds", n)
		}
	}
	if batches, _ := remote.batchCounts(); batches != 0 {
		b.Fatalf("%d batch reads for keys in memory", batches)
	}
}
