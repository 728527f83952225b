package scans

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"urlscan-relay/internal/cooloff"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxPerKey = 50
	DefaultMaxKeys   = 10_000
	DefaultKeep      = 30 * 24 * time.Hour
	DefaultRefresh   = time.Second
	DefaultTimeout   = 200 * time.Millisecond
)

// Remote is a log of records per key shared by replicas (Redis). Append
// adds a record at the head, keeps at most max records and lets the log
// expire keep after its last write; Recent returns at most max records,
// newest first. Implementations must honour ctx's deadline.
type Remote interface {
	Append(ctx context.Context, keyID string, record []byte, max int, keep time.Duration) error
	Recent(ctx context.Context, keyID string, max int) ([][]byte, error)
}

// Options configure a Book.
type Options struct {
	Remote    Remote        // nil: this replica's memory only
	MaxPerKey int           // scans kept per API key (default 50)
	MaxKeys   int           // API keys kept in memory (default 10,000); the least recently used go first
	Keep      time.Duration // how long a scan is kept (default 30 days, the longest tile period)
	Refresh   time.Duration // how often a key's scans are re-read from Remote (default 1 s)
	Timeout   time.Duration // bound of one Remote call (default 200 ms)
	// Gate is the Remote's health, shared with everything else that calls
	// the same store; nil: a gate of the Book's own.
	Gate   *cooloff.Gate
	Now    func() time.Time
	Logger *slog.Logger
}

// Book is the record of scans submitted through the relay. It is safe for
// concurrent use. A failing Remote never fails a caller: the Book then
// works from memory, skips the Remote while its Gate is closed, and says so
// in the log as often as the Gate allows.
type Book struct {
	o   Options
	log *slog.Logger

	mu    sync.Mutex
	keys  *simplelru.LRU[string, *keyBook] // the key written least recently goes first
	swept time.Time                        // when sweepLocked last ran
}

// keyBook is what memory holds for one API key.
type keyBook struct {
	scans   []Scan    // newest first
	read    time.Time // when Remote was last read for this key
	touched time.Time // last written, for the sweep
}

// New returns an empty Book.
func New(o Options) *Book {
	if o.MaxPerKey <= 0 {
		o.MaxPerKey = DefaultMaxPerKey
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Gate == nil {
		o.Gate = cooloff.New(0, 0, o.Now)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	keys, _ := simplelru.NewLRU[string, *keyBook](o.MaxKeys, nil) // only a size below 1 fails
	return &Book{o: o, log: log, keys: keys}
}

// Record writes s, new or updated, for keyID: in memory at once, and to the
// Remote when there is one and it answers.
func (b *Book) Record(ctx context.Context, keyID string, s Scan) {
	s.Submitted = s.Submitted.UTC()
	b.mu.Lock()
	b.putLocked(keyID, []Scan{s})
	b.mu.Unlock()
	if b.o.Remote == nil || !b.o.Gate.Open() {
		return
	}
	rec, err := encodeRecord(s)
	if err != nil {
		b.log.Warn("scan record not shared", "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.Timeout)
	defer cancel()
	// Each scan leaves a few records (submitted, then finished): room for
	// three per scan keeps MaxPerKey scans.
	if err := b.o.Remote.Append(ctx, keyID, rec, 3*b.o.MaxPerKey, b.o.Keep); err != nil {
		b.remoteFailed("append", err)
	}
}

// Scans returns keyID's scans of the last Keep, newest first. It reads the
// Remote when this key's copy in memory is older than Refresh, so a scan
// another replica submitted shows within about a second.
func (b *Book) Scans(ctx context.Context, keyID string) []Scan {
	now := b.o.Now()
	if b.o.Remote != nil && b.o.Gate.Open() && b.claimRefresh(keyID, now) {
		b.refresh(ctx, keyID, now)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kb, ok := b.keys.Peek(keyID)
	if !ok {
		return nil
	}
	kb.scans = keepSince(kb.scans, now.Add(-b.o.Keep), b.o.MaxPerKey)
	return slices.Clone(kb.scans)
}

// Generation names the newest scan submitted for query by keyID, from
// memory only; "" when there is none. Search answers are cached under it,
// so that a submission makes every earlier answer for the query unreachable
// on every replica that knows of it.
func (b *Book) Generation(keyID, query string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	kb, ok := b.keys.Peek(keyID)
	if !ok {
		return ""
	}
	for i := range kb.scans {
		if kb.scans[i].Answers(query) {
			return kb.scans[i].ID
		}
	}
	return ""
}

// claimRefresh reports whether keyID's copy in memory is older than
// Refresh, and if so marks it read now: of the requests that find it stale
// at once, one reads the Remote and the others answer from memory. A key
// memory has never held is not marked, and is read by each until one
// refresh stores it.
func (b *Book) claimRefresh(keyID string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	kb, ok := b.keys.Peek(keyID)
	if !ok {
		return true
	}
	if now.Sub(kb.read) < b.o.Refresh {
		return false
	}
	kb.read = now
	return true
}

// refresh merges the Remote's records of keyID into memory.
func (b *Book) refresh(ctx context.Context, keyID string, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, b.o.Timeout)
	defer cancel()
	recs, err := b.o.Remote.Recent(ctx, keyID, 3*b.o.MaxPerKey)
	if err != nil {
		b.remoteFailed("read", err)
		return
	}
	var got []Scan
	bad := 0
	for _, r := range recs {
		s, err := decodeRecord(r)
		if err != nil {
			bad++
			continue
		}
		got = append(got, s)
	}
	if bad > 0 {
		b.log.Warn("shared scan records skipped as invalid", "count", bad, "key_id", keyID)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kb := b.putLocked(keyID, got)
	kb.read = now
}

// sweepEvery is how often the Book drops the keys whose scans are all
// older than Keep, so that nothing a scan names outlives Keep by more.
const sweepEvery = time.Hour

// putLocked merges ss into keyID's scans; b.mu is held.
func (b *Book) putLocked(keyID string, ss []Scan) *keyBook {
	now := b.o.Now()
	if now.Sub(b.swept) >= sweepEvery {
		b.sweepLocked(now)
	}
	kb, ok := b.keys.Get(keyID)
	if !ok {
		kb = &keyBook{}
		b.keys.Add(keyID, kb) // past MaxKeys, the key written least recently goes
	}
	kb.touched = now
	for _, s := range ss {
		i := slices.IndexFunc(kb.scans, func(k Scan) bool { return k.ID == s.ID })
		if i >= 0 {
			kb.scans[i] = merge(kb.scans[i], s)
			continue
		}
		kb.scans = append(kb.scans, s)
	}
	slices.SortStableFunc(kb.scans, func(x, y Scan) int { return cmp.Compare(y.Submitted.UnixNano(), x.Submitted.UnixNano()) })
	kb.scans = keepSince(kb.scans, now.Add(-b.o.Keep), b.o.MaxPerKey)
	return kb
}

// sweepLocked drops every scan older than Keep, and the keys left with
// none that were not read within Keep either; b.mu is held.
func (b *Book) sweepLocked(now time.Time) {
	b.swept = now
	since := now.Add(-b.o.Keep)
	for _, k := range b.keys.Keys() {
		kb, _ := b.keys.Peek(k)
		kb.scans = keepSince(kb.scans, since, b.o.MaxPerKey)
		if len(kb.scans) == 0 && kb.touched.Before(since) {
			b.keys.Remove(k)
		}
	}
}

func (b *Book) remoteFailed(op string, err error) {
	if report, suppressed := b.o.Gate.Failed(true); report {
		b.log.Warn("shared scan book unavailable; using this replica's memory", "op", op, "error", err, "suppressed", suppressed)
	}
}
