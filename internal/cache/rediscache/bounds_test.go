package rediscache

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
)

// sized is a value of n bytes that says which it is.
func sized(n int) []byte {
	b := bytes.Repeat([]byte{'v'}, n)
	copy(b, strconv.Itoa(n)+":")
	return b
}

// TestReadsRefuseValuesPastTheirBound plants values one byte under, at and
// over each kind's bound straight into Redis, among ordinary and missing
// keys, and reads them the relay's ways: a single read, a batch read (in
// the keys' order) and the scan log. What is past the bound is absent and
// counted; the rest arrives whole.
func TestReadsRefuseValuesPastTheirBound(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	s := openStore(t, url, prefix)
	raw := rawClient(t, url)
	ctx := context.Background()

	for _, kind := range []struct {
		name string
		max  int
	}{{kindSearch, maxSearchBytes}, {kindResult, maxResultBytes}} {
		t.Run(kind.name, func(t *testing.T) {
			r := s.Remote(kind.name).(cache.BatchRemote)
			vals := map[string][]byte{
				"under": sized(kind.max - 1), "at": sized(kind.max), "over": sized(kind.max + 1),
				"small": []byte("ordinary value"), "empty": {},
			}
			for k, v := range vals {
				if err := raw.Set(ctx, prefix+kind.name+":"+k, v, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
			}
			// A key holding another type reads as absent, as MGET has it.
			if err := raw.RPush(ctx, prefix+kind.name+":list", "x").Err(); err != nil {
				t.Fatal(err)
			}
			// An empty value reads as absent (GETRANGE answers a missing key
			// so); the relay writes none.
			want := map[string]bool{"under": true, "at": true, "over": false, "small": true, "empty": false, "missing": false, "list": false}
			before := oversizedCount(t, s, kind.name, "read")
			for k, found := range want {
				got, ok, err := r.Get(ctx, k)
				if err != nil || ok != found || found && !bytes.Equal(got, vals[k]) || !found && got != nil {
					t.Errorf("Get(%s) = %d bytes, %v, %v; want found %v, the value whole", k, len(got), ok, err, found)
				}
			}
			keys := []string{"small", "over", "missing", "under", "list", "at", "over", "empty", "small"}
			got, err := r.GetMany(ctx, keys)
			if err != nil || len(got) != len(keys) {
				t.Fatalf("GetMany = %d values, %v; want %d", len(got), err, len(keys))
			}
			for i, k := range keys {
				if ok := got[i] != nil; ok != want[k] || ok && !bytes.Equal(got[i], vals[k]) {
					t.Errorf("GetMany[%d] (%s) = %d bytes, present %v; want present %v, the value whole", i, k, len(got[i]), ok, want[k])
				}
			}
			// One single read and two batch reads of "over".
			if n := oversizedCount(t, s, kind.name, "read") - before; n != 3 {
				t.Errorf("oversized reads counted = %v, want 3", n)
			}
		})
	}

	t.Run(kindScans, func(t *testing.T) {
		log := s.Scans()
		key := prefix + kindScans + ":k1"
		// Pushed at the head one by one: newest first, "small" is the head.
		for _, v := range [][]byte{sized(maxRecordBytes - 1), sized(maxRecordBytes + 1), sized(maxRecordBytes), []byte("small")} {
			if err := raw.LPush(ctx, key, v).Err(); err != nil {
				t.Fatal(err)
			}
		}
		before := oversizedCount(t, s, kindScans, "read")
		got, err := log.Recent(ctx, "k1", 10)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]byte{[]byte("small"), sized(maxRecordBytes), sized(maxRecordBytes - 1)}
		if len(got) != len(want) {
			t.Fatalf("Recent = %d records, want %d (the oversized one left out)", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("Recent[%d] = %d bytes, want %d", i, len(got[i]), len(want[i]))
			}
		}
		if n := oversizedCount(t, s, kindScans, "read") - before; n != 1 {
			t.Errorf("oversized records counted = %v, want 1", n)
		}
		// max still bounds the elements read, oversized ones included.
		if got, err := log.Recent(ctx, "k1", 3); err != nil || len(got) != 2 {
			t.Errorf("Recent(max 3) = %d records, %v; want 2 (of the newest 3, one oversized)", len(got), err)
		}
		// A list far larger than max records can be is not read at all.
		for range 5 {
			if err := raw.LPush(ctx, prefix+kindScans+":k2", sized(maxRecordBytes)).Err(); err != nil {
				t.Fatal(err)
			}
		}
		before = oversizedCount(t, s, kindScans, "read")
		if got, err := log.Recent(ctx, "k2", 1); err != nil || len(got) != 0 {
			t.Errorf("Recent(max 1) of 5 full records = %d records, %v; want none", len(got), err)
		}
		if n := oversizedCount(t, s, kindScans, "read") - before; n != 1 {
			t.Errorf("oversized lists counted = %v, want 1", n)
		}
		if got, err := log.Recent(ctx, "k2", 5); err != nil || len(got) != 5 {
			t.Errorf("Recent(max 5) of 5 full records = %d records, %v; want 5", len(got), err)
		}
	})

	t.Run(kindLimit, func(t *testing.T) {
		l := s.Limits()
		until := time.Now().Add(time.Minute).Truncate(time.Millisecond)
		mark := []byte(strconv.FormatInt(until.UnixMilli(), 10))
		padded := append(bytes.Repeat([]byte{'0'}, maxMarkBytes-len(mark)), mark...) // a number still, at the bound
		for action, v := range map[string][]byte{"at": padded, "over": append([]byte{'0'}, padded...)} {
			if err := raw.Set(ctx, prefix+kindLimit+":key1:"+action, v, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := l.BlockedUntil(ctx, "key1", "at"); err != nil || !got.Equal(until) {
			t.Errorf("BlockedUntil(at the bound) = %v, %v; want %v", got, err, until)
		}
		before := oversizedCount(t, s, kindLimit, "read")
		if got, err := l.BlockedUntil(ctx, "key1", "over"); err != nil || !got.IsZero() {
			t.Errorf("BlockedUntil(past the bound) = %v, %v; want none", got, err)
		}
		if n := oversizedCount(t, s, kindLimit, "read") - before; n != 1 {
			t.Errorf("oversized marks counted = %v, want 1", n)
		}
	})
}

// TestOversizedValueNeverCrossesTheWire plants 64 MiB under a search key,
// a result key and a scan log, as a compromised Redis could: reading one
// allocates no more than its kind's bound (and 1 MiB of slack), nothing
// like its size.
func TestOversizedValueNeverCrossesTheWire(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	s := openStore(t, url, prefix)
	raw := rawClient(t, url)
	ctx := context.Background()
	huge := bytes.Repeat([]byte{'x'}, 64<<20)
	for _, kind := range []string{kindSearch, kindResult} {
		if err := raw.Set(ctx, prefix+kind+":huge", huge, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if err := raw.Set(ctx, prefix+kind+":small", "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.LPush(ctx, prefix+kindScans+":k1", huge).Err(); err != nil {
		t.Fatal(err)
	}
	huge = nil
	const slack = 1 << 20
	type read struct {
		name  string
		bound int
		call  func() error
	}
	var reads []read
	for _, kind := range []struct {
		name string
		max  int
	}{{kindSearch, maxSearchBytes}, {kindResult, maxResultBytes}} {
		r := s.Remote(kind.name).(cache.BatchRemote)
		reads = append(reads, read{kind.name + " GetMany", kind.max, func() error {
			vals, err := r.GetMany(ctx, []string{"small", "huge", "small"})
			if err == nil && (len(vals) != 3 || vals[1] != nil || string(vals[2]) != "v") {
				lens := make([]int, len(vals))
				for i, v := range vals {
					lens[i] = len(v)
				}
				err = fmt.Errorf("values of %v bytes", lens)
			}
			return err
		}}, read{kind.name + " Get", kind.max, func() error {
			_, ok, err := r.Get(ctx, "huge")
			if err == nil && ok {
				err = fmt.Errorf("found")
			}
			return err
		}})
	}
	reads = append(reads, read{"scan log Recent", 0, func() error {
		recs, err := s.Scans().Recent(ctx, "k1", 10)
		if err == nil && len(recs) != 0 {
			err = fmt.Errorf("%d records", len(recs))
		}
		return err
	}})
	for _, rd := range reads {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		err := rd.call()
		runtime.ReadMemStats(&m1)
		if err != nil {
			t.Errorf("%s: %v; want the huge value absent", rd.name, err)
		}
		if n := m1.TotalAlloc - m0.TotalAlloc; n > uint64(rd.bound+slack) {
			t.Errorf("%s of a 64 MiB value allocated %d bytes, want < %d", rd.name, n, rd.bound+slack)
		}
	}
}

// TestWritesSkipValuesPastTheirBound holds that what would be refused when
// read is never written: a value over the bound is counted and not stored,
// without an error (Redis is not failing), and one at the bound is stored.
func TestWritesSkipValuesPastTheirBound(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	s := openStore(t, url, prefix)
	raw := rawClient(t, url)
	ctx := context.Background()
	exists := func(key string) bool {
		n, err := raw.Exists(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	r := s.Remote(kindResult)
	if err := r.Set(ctx, "over", sized(maxResultBytes+1), time.Minute); err != nil {
		t.Errorf("Set past the bound: %v, want nil", err)
	}
	if err := r.Set(ctx, "at", sized(maxResultBytes), time.Minute); err != nil {
		t.Errorf("Set at the bound: %v", err)
	}
	if exists(prefix + "result:over") {
		t.Error("a result past the bound was stored")
	}
	if !exists(prefix + "result:at") {
		t.Error("a result at the bound was not stored")
	}
	if n := oversizedCount(t, s, kindResult, "write"); n != 1 {
		t.Errorf("oversized result writes counted = %v, want 1", n)
	}

	log := s.Scans()
	if err := log.Append(ctx, "k1", sized(maxRecordBytes+1), 10, time.Minute); err != nil {
		t.Errorf("Append past the bound: %v, want nil", err)
	}
	if exists(prefix + "scans:k1") {
		t.Error("a scan record past the bound was stored")
	}
	if err := log.Append(ctx, "k1", sized(maxRecordBytes), 10, time.Minute); err != nil {
		t.Errorf("Append at the bound: %v", err)
	}
	if got, err := log.Recent(ctx, "k1", 10); err != nil || len(got) != 1 || len(got[0]) != maxRecordBytes {
		t.Errorf("Recent = %d records, %v; want the one at the bound", len(got), err)
	}
	if n := oversizedCount(t, s, kindScans, "write"); n != 1 {
		t.Errorf("oversized record writes counted = %v, want 1", n)
	}
}
