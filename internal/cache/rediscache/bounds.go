package rediscache

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/scans"
)

// The largest value the relay reads from or writes to Redis, per kind of
// value. Whoever can write to Redis can put 512 MB under one of the relay's
// keys, and go-redis allocates a reply's whole length before any decoder
// sees it: every read of such a value, on every replica and for every
// request at once, would cost its size. So no read brings more than its
// bound (and one byte) across the wire (boundedGet, rangeScript), and no
// write stores more, so that what the relay wrote is never refused when
// read back.
//
// The bounds come from what the relay writes, with margin:
const (
	// maxSearchBytes: a search answer holds as many hits as its observable
	// asks for, CTR_ENTITIES_LIMIT (100 by default, up to
	// ENTITIES_LIMIT_MAX, 1000 by default), and never more than the 10,000
	// one whole answer is built from (relay.DefaultMaxAnswerHits). A hit of
	// urlscan.io's is about 260 bytes in relay.HitsCodec's format: 10,000
	// of them are 2.6 MB, and 1000 fit with up to 4 KiB each. A hit at
	// every bound of urlscan.CheckHits (an 8 KiB URL, 32 stats) is
	// 11.2 KiB; a search of hundreds of those stays in the replica's
	// memory only.
	maxSearchBytes = 4 << 20
	// maxResultBytes: a result summary at every bound of
	// urlscan.CheckResult (three 2 KiB links, an 8 KiB URL, 2 × 32 tags of
	// 128 bytes) is 22.5 KiB in relay.ResultCodec's format; urlscan.io's
	// are about 250 bytes. (derive_test.go holds both.)
	maxResultBytes = 64 << 10
	// maxRecordBytes: the scan book refuses a longer record
	// (scans.MaxRecordBytes); a record is about 300 bytes.
	maxRecordBytes = scans.MaxRecordBytes
	// maxMarkBytes: a rate-limit mark is an int64 in decimal, 20 bytes at
	// the most.
	maxMarkBytes = 32
)

// The kinds of value, as they name keys ("<KeyPrefix><kind>:...") and label
// the oversized metric.
const (
	kindSearch = "search"
	kindResult = "result"
	kindScans  = "scans"
	kindLimit  = "limit"
)

// valueBound is the bound of a cache tier's values; a cache of another name
// gets the largest a cache value may be.
func valueBound(kind string) int {
	if kind == kindResult {
		return maxResultBytes
	}
	return maxSearchBytes
}

// rangeScript is LRANGE KEYS[1] 0 ARGV[1]-1 with each element past
// ARGV[2] bytes replaced by its length. Redis cannot tell an element's
// length without copying it, so MEMORY USAGE (every element counted, none
// copied) looks first: a list larger than twice ARGV[1] records of ARGV[2]
// bytes (the relay's are at most 150 of 8 KiB, 1.5 MiB with Redis's own
// overhead) is answered by its size alone, an integer.
var rangeScript = redis.NewScript(`
local n, max = tonumber(ARGV[1]), tonumber(ARGV[2])
local size = redis.pcall('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', 0)
if type(size) == 'number' and size > 2 * n * max then
  return size
end
local vals = redis.call('LRANGE', KEYS[1], 0, n - 1)
for i, v in ipairs(vals) do
  if #v > max then
    vals[i] = #v
  end
end
return vals
`)

// boundedGet reads keys in one round trip, a pipeline of GETRANGE key 0
// max: one value per key, nil for an absent one, for one that is not a
// string (as MGET answers nil) and for one past max bytes, of which at
// most max+1 cross the wire and which is counted as oversized. GETRANGE
// answers an absent key as an empty value, so an empty value reads as
// absent too: the relay writes none (a cache value carries its envelope,
// a mark its digits).
//
// For the replica scenario's batch (44 values of 2 KB) the pipeline costs
// 20-30 % over a bare MGET, and about what the MGET that copied its
// values did (it keeps go-redis's buffers instead). A Lua script that
// checks STRLEN before GET would carry nothing of an oversized value, but
// it costs 2.5 times MGET, as Redis converts every value into Lua and back
// (docs/BENCHMARKS.md, BenchmarkBatchReadOptions), and that on Redis's one
// thread, which all replicas share. A planted value costs a read what a legitimate value at
// the bound would, never more.
func (s *Store) boundedGet(ctx context.Context, kind string, max int, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StringCmd, len(keys))
	if len(keys) == 1 {
		cmds[0] = s.client.GetRange(ctx, keys[0], 0, int64(max))
	} else {
		pipe := s.client.Pipeline()
		for i, k := range keys {
			cmds[i] = pipe.GetRange(ctx, k, 0, int64(max))
		}
		// Exec's error is the first command's that failed; each
		// command's own is looked at below.
		_, _ = pipe.Exec(ctx)
	}
	out := make([][]byte, len(keys))
	for i, cmd := range cmds {
		b, err := cmd.Bytes() // go-redis's own buffer, no copy
		switch {
		case redis.HasErrorPrefix(err, "WRONGTYPE"):
			// The key holds no string.
		case err != nil:
			return nil, err
		case len(b) > max:
			s.oversized(kind, "read", int64(len(b)), max)
		case len(b) > 0:
			out[i] = b
		}
	}
	return out, nil
}

// records turns rangeScript's reply into records: a string is one, an
// integer the length of one past max, counted and left out.
func (s *Store) records(reply []any, kind string, max int) ([][]byte, error) {
	out := make([][]byte, 0, len(reply))
	for _, v := range reply {
		switch v := v.(type) {
		case string:
			out = append(out, []byte(v))
		case int64:
			s.oversized(kind, "read", v, max)
		default:
			return nil, fmt.Errorf("a value of type %T", v)
		}
	}
	return out, nil
}
