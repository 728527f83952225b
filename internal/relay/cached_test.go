package relay

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// cachedRig is the production stack below the server: the real urlscan
// client over loopback to the fake, behind the caches.
type cachedRig struct {
	fake     *urlscantest.Server
	svc      *Service
	searches *cache.Cache[[]urlscan.Hit]
	results  *cache.Cache[*urlscan.Result]
	client   *urlscan.Client
	now      atomic.Int64 // unix nanoseconds of the client's clock
}

func newCachedRig(t *testing.T, fo urlscantest.Options, resultBytes int64, opts ...CachedOption) *cachedRig {
	t.Helper()
	return newCachedRigWith(t, fo, resultBytes, Config{UIURL: "https://urlscan.io"}, opts...)
}

// newCachedRigWith is newCachedRig with the Service configured by cfg.
func newCachedRigWith(t *testing.T, fo urlscantest.Options, resultBytes int64, cfg Config, opts ...CachedOption) *cachedRig {
	t.Helper()
	r := &cachedRig{fake: urlscantest.NewServer(fo)}
	t.Cleanup(r.fake.Close)
	r.now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, r.now.Load()) }
	client, err := urlscan.New(urlscan.Options{BaseURL: r.fake.URL, Timeout: 5 * time.Second, Now: clock, RetryPause: func() time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	r.searches, err = cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: 5 * time.Minute, MaxBytes: 1 << 20, Weigh: WeighHits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.searches.Close)
	r.results, err = cache.New(cache.Options[*urlscan.Result]{Name: "result", TTL: time.Hour, MaxBytes: resultBytes, Weigh: WeighResult})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.results.Close)
	r.client = client
	r.svc = New(NewCached(client, r.searches, r.results, opts...), cfg)
	return r
}

func (r *cachedRig) calls() (searches, results int64) {
	return r.fake.Calls("search"), r.fake.Calls("result")
}

var fourObservables = []ctim.Observable{
	{Type: "domain", Value: "a.example"},
	{Type: "url", Value: "http://b.example/x"},
	{Type: "ip", Value: "192.0.2.7"},
	{Type: "domain", Value: "c.example"},
}

func TestCachedRepeatMakesNoCalls(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{}, 1<<20)
	if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, 100); len(errs) > 0 {
		t.Fatalf("first observe: %v", errs)
	}
	s1, r1 := r.calls()
	if s1 != 4 || r1 != 40 {
		t.Fatalf("first observe made %d searches and %d results, want 4 and 40", s1, r1)
	}
	ctx, stats := WithStats(context.Background())
	first, _ := r.svc.Observe(context.Background(), "k", fourObservables[:1], 100)
	again, errs := r.svc.Observe(ctx, "k", fourObservables, 100)
	if len(errs) > 0 {
		t.Fatalf("repeated observe: %v", errs)
	}
	if s2, r2 := r.calls(); s2 != s1 || r2 != r1 {
		t.Errorf("repeated observe made %d searches and %d results, want none", s2-s1, r2-r1)
	}
	if calls, hits := stats.Snapshot(); calls != 0 || hits != 44 {
		t.Errorf("stats = %d calls, %d hits; want 0 and 44", calls, hits)
	}
	if again.Sightings.Count != 40 || first.Sightings.Count != 10 {
		t.Errorf("cached answers hold %d and %d sightings, want 40 and 10", again.Sightings.Count, first.Sightings.Count)
	}
	if again.Sightings.Docs[0].ID == first.Sightings.Docs[0].ID {
		t.Error("a cached answer reused a transient id")
	}
}

func TestCachedConcurrentIdenticalRequestsShareCalls(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{Latency: 100 * time.Millisecond}, 1<<20)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, 100); len(errs) > 0 {
				t.Errorf("observe: %v", errs)
			}
		}()
	}
	wg.Wait()
	if s, res := r.calls(); s != 4 || res != 40 {
		t.Errorf("two concurrent identical requests made %d searches and %d results, want one set: 4 and 40", s, res)
	}
}

func TestSearchCacheNeverCrossesKeys(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{APIKey: "good-key"}, 1<<20)
	if _, errs := r.svc.Observe(context.Background(), "good-key", fourObservables, 100); len(errs) > 0 {
		t.Fatalf("observe with the good key: %v", errs)
	}
	s1, r1 := r.calls()
	data, errs := r.svc.Observe(context.Background(), "other-key", fourObservables, 100)
	if len(errs) == 0 || tr.From(errs[0]).Code != tr.PermissionDenied {
		t.Errorf("another key got %v, want urlscan's refusal", errs)
	}
	if data.Sightings != nil {
		t.Errorf("a refused key was answered from another key's cache: %d sightings", data.Sightings.Count)
	}
	if s2, r2 := r.calls(); s2 != s1+4 || r2 != r1 {
		t.Errorf("the other key made %d searches and %d results, want 4 searches of its own and no results", s2-s1, r2-r1)
	}
}

func TestResultCacheIsPartitionedByKey(t *testing.T) {
	for _, share := range []bool{false, true} {
		t.Run(fmt.Sprintf("share=%v", share), func(t *testing.T) {
			r := newCachedRig(t, urlscantest.Options{}, 1<<20, SharedResults(share))
			r.svc.Observe(context.Background(), "key-a", fourObservables, 100)
			s1, r1 := r.calls()
			if _, errs := r.svc.Observe(context.Background(), "key-b", fourObservables, 100); len(errs) > 0 {
				t.Fatal(errs)
			}
			s2, r2 := r.calls()
			if s2 != s1+4 {
				t.Errorf("key-b made %d searches, want its own 4", s2-s1)
			}
			// Partitioned, key-b's answer time cannot tell that key-a
			// looked at the same scans: it makes every call itself.
			want := r1
			if !share {
				want = 2 * r1
			}
			if r2 != want {
				t.Errorf("result calls after key-b = %d, want %d", r2, want)
			}
			// A repeat by key-b is answered from its own partition.
			r.svc.Observe(context.Background(), "key-b", fourObservables, 100)
			if _, r3 := r.calls(); r3 != r2 {
				t.Errorf("key-b's repeat made %d result calls, want 0", r3-r2)
			}
		})
	}
}

func TestCacheEvictionStaysUnderItsBound(t *testing.T) {
	const bound = 64 << 10
	r := newCachedRig(t, urlscantest.Options{Hits: 50}, bound)
	for i := range 20 {
		obs := []ctim.Observable{{Type: "domain", Value: fmt.Sprintf("evict%d.example", i)}}
		if _, errs := r.svc.Observe(context.Background(), "k", obs, 100); len(errs) > 0 {
			t.Fatal(errs)
		}
	}
	entries, bytes := r.results.Stats()
	if bytes > bound {
		t.Errorf("result cache holds %d bytes, over its bound of %d", bytes, bound)
	}
	if entries >= 1000 {
		t.Errorf("result cache kept all %d results despite its bound", entries)
	}
}

func TestExhaustedKeyFailsFastAndRecovers(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{}, 1<<20)
	r.fake.Inject(urlscantest.Fault{Endpoint: "search", Status: http.StatusTooManyRequests, Times: 1,
		Header: http.Header{"X-Rate-Limit-Reset-After": {"30"}, "X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Action": {"search"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	obs := func(v string) []ctim.Observable { return []ctim.Observable{{Type: "domain", Value: v}} }
	_, errs := r.svc.Observe(ctx, "k", obs("first.example"), 100)
	if len(errs) == 0 || tr.From(errs[0]).Code != tr.TooManyRequests {
		t.Fatalf("after a 429: %v, want too many requests", errs)
	}
	before, _ := r.calls()
	start := time.Now()
	_, errs = r.svc.Observe(ctx, "k", obs("second.example"), 100)
	if len(errs) == 0 || tr.From(errs[0]).Code != tr.TooManyRequests {
		t.Errorf("while exhausted: %v, want too many requests", errs)
	}
	if after, _ := r.calls(); after != before {
		t.Errorf("an exhausted key still made %d searches", after-before)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("an exhausted key took %s to fail, want at once", d)
	}
	if _, errs := r.svc.Observe(context.Background(), "other", obs("second.example"), 100); len(errs) > 0 {
		t.Errorf("another key is blocked too: %v", errs)
	}
	r.now.Add(int64(31 * time.Second))
	if _, errs := r.svc.Observe(context.Background(), "k", obs("third.example"), 100); len(errs) > 0 {
		t.Errorf("after the reset: %v, want recovery", errs)
	}
}
