package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// loader counts its calls and returns value (or err).
type loader struct {
	calls atomic.Int64
	value string
	err   error
}

func (l *loader) load(context.Context) (string, error) {
	l.calls.Add(1)
	return l.value, l.err
}

func weighString(k, v string) int { return len(k) + len(v) }

func newStringCache(t testing.TB, o Options[string]) *Cache[string] {
	t.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	if o.Weigh == nil {
		o.Weigh = weighString
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// fakeRemote is an in-memory Remote whose failures are switchable.
type fakeRemote struct {
	mu      sync.Mutex
	data    map[string][]byte
	ttls    map[string]time.Duration
	gets    int
	sets    int
	failGet error
	failSet error
	hang    bool // block until ctx ends
}

func newFakeRemote() *fakeRemote {
	return &fakeRemote{data: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

func (r *fakeRemote) Get(ctx context.Context, key string) ([]byte, bool, error) {
	r.mu.Lock()
	r.gets++
	hang, fail := r.hang, r.failGet
	b, ok := r.data[key]
	r.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, false, ctx.Err()
	}
	if fail != nil {
		return nil, false, fail
	}
	return b, ok, nil
}

func (r *fakeRemote) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	r.mu.Lock()
	r.sets++
	hang, fail := r.hang, r.failSet
	if !hang && fail == nil {
		r.data[key] = val
		r.ttls[key] = ttl
	}
	r.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return fail
}

func (r *fakeRemote) counts() (gets, sets int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets, r.sets
}

var errRemoteDown = errors.New("remote down")

// metricValue finds one sample in reg by name and labels; ok=false if absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return sampleValue(m), true
		}
	}
	return 0, false
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// counterValue reads a counter directly (prometheus/testutil would pull a
// module this repository does not otherwise need).
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return m.GetCounter().GetValue()
}

// stringCodec is the remote tier's Codec for the string caches of these
// tests: the bytes themselves, which must be UTF-8 (so a test can plant a
// value it refuses).
type stringCodec struct{}

func (stringCodec) Marshal(v string) ([]byte, error) { return []byte(v), nil }
func (stringCodec) Unmarshal(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", errors.New("stringCodec: not UTF-8")
	}
	return string(b), nil
}
