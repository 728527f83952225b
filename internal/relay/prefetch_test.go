package relay

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// sharedTier is an in-memory cache.BatchRemote that counts its reads.
type sharedTier struct {
	mu           sync.Mutex
	data         map[string][]byte
	gets, mgets  int
	keysPerMGets []int
}

func (s *sharedTier) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	b, ok := s.data[key]
	return b, ok, nil
}

func (s *sharedTier) Set(_ context.Context, key string, val []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = val
	return nil
}

func (s *sharedTier) GetMany(_ context.Context, keys []string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mgets++
	s.keysPerMGets = append(s.keysPerMGets, len(keys))
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = s.data[k]
	}
	return out, nil
}

// replicaStack is one relay replica: its own memory, the shared tiers, no
// result budget.
func replicaStack(t *testing.T, up Upstream, searches, results cache.Remote) *Service {
	return replicaStackWith(t, up, searches, results, Config{UIURL: "https://urlscan.io", NewID: counterIDs(), Now: fixedNow})
}

// replicaStackWith is replicaStack with cfg.
func replicaStackWith(t *testing.T, up Upstream, searches, results cache.Remote, cfg Config) *Service {
	t.Helper()
	sc, err := cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: time.Minute, MaxBytes: 1 << 20, Weigh: WeighHits,
		Remote: searches, Codec: HitsCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	rc, err := cache.New(cache.Options[*urlscan.Result]{Name: "result", TTL: time.Hour, MaxBytes: 1 << 20, Weigh: WeighResult,
		Remote: results, Codec: ResultCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	return New(NewCached(up, sc, rc), cfg)
}

// TestReplicaReadsSharedTierOncePerKind holds that a replica answering a
// request another one filled asks the shared tier twice (the searches,
// then their results), asks urlscan.io nothing, answers exactly what the
// first answered, and then answers the repeat from its own memory.
func TestReplicaReadsSharedTierOncePerKind(t *testing.T) {
	r := newCachedRig(t, urlscantest.Options{}, 1<<20)
	up := r.svc.up.(*Cached).up
	searches := &sharedTier{data: map[string][]byte{}}
	results := &sharedTier{data: map[string][]byte{}}
	a := replicaStack(t, up, searches, results)
	b := replicaStack(t, up, searches, results)
	want, errs := a.Observe(context.Background(), "k", fourObservables, 100)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s0, r0 := r.calls()
	searches.gets, results.gets, searches.mgets, results.mgets, results.keysPerMGets = 0, 0, 0, 0, nil
	for round := range 2 {
		got, errs := b.Observe(context.Background(), "k", fourObservables, 100)
		if len(errs) > 0 || got.Sightings.Count != want.Sightings.Count {
			t.Fatalf("round %d: replica B answered %d sightings, %v", round, got.Sightings.Count, errs)
		}
		if round == 0 {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("replica B's answer from the shared tier differs from A's (-A +B):\n%s", diff)
			}
		}
	}
	if s1, r1 := r.calls(); s1 != s0 || r1 != r0 {
		t.Errorf("replica B made %d searches and %d results upstream, want none", s1-s0, r1-r0)
	}
	if searches.mgets != 1 || results.mgets != 1 || searches.gets != 0 || results.gets != 0 {
		t.Errorf("replica B read the shared tiers with %d+%d batches and %d+%d single reads, want 1+1 and none",
			searches.mgets, results.mgets, searches.gets, results.gets)
	}
	if len(results.keysPerMGets) == 1 && results.keysPerMGets[0] != 40 {
		t.Errorf("the results batch asked %d keys, want 40", results.keysPerMGets[0])
	}
}

// TestBudgetSharedTierResultsAreFree holds that a result document another
// replica left in the shared tier is free, as one in memory is: replica B,
// asked what A was asked, takes A's 40 documents from the tier and spends
// its budget on the next 10 hits of each observable, so its answer judges
// the newest 20 of each.
func TestBudgetSharedTierResultsAreFree(t *testing.T) {
	r := newCachedRigWith(t, popular, 64<<20, defaultBudget)
	up := r.svc.up.(*Cached).up
	searches := &sharedTier{data: map[string][]byte{}}
	results := &sharedTier{data: map[string][]byte{}}
	a := replicaStackWith(t, up, searches, results, defaultBudget)
	b := replicaStackWith(t, up, searches, results, defaultBudget)
	if _, errs := a.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit); len(errs) != 0 {
		t.Fatal(errs)
	}
	s0, r0 := r.calls()
	data, errs := b.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s1, r1 := r.calls(); s1 != s0 || r1-r0 != 40 {
		t.Errorf("replica B made %d searches and %d results upstream, want none and 40", s1-s0, r1-r0)
	}
	if got := examinedPerObservable(t, data, 100, resultIDs(r.fake)); !slices.Equal(got, []int{20, 20, 20, 20}) {
		t.Errorf("results known per observable = %v, want the newest 20 of each", got)
	}
}
