package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// defaultBudget is the relay's default result budget.
var defaultBudget = Config{UIURL: "https://urlscan.io", ResultsPerObservable: 10, ResultsPerRequest: 100}

// popular is a fake urlscan.io whose every search has 100 hits.
var popular = urlscantest.Options{Hits: 100}

// domains returns n domain observables.
func domains(prefix string, n int) []ctim.Observable {
	obs := make([]ctim.Observable, n)
	for i := range obs {
		obs[i] = ctim.Observable{Type: "domain", Value: fmt.Sprintf("%s%d.example", prefix, i)}
	}
	return obs
}

// resultIDs are the scans whose result documents reached the fake.
func resultIDs(f *urlscantest.Server) map[string]bool {
	ids := map[string]bool{}
	for _, r := range f.Requests() {
		if r.Endpoint == "result" {
			ids[r.ID] = true
		}
	}
	return ids
}

// examinedPerObservable counts, for each block of hits sightings (one
// observable's, newest first), how many of its scans are in examined, and
// fails unless they are the block's newest.
func examinedPerObservable(t *testing.T, data ctim.ObserveData, hits int, examined map[string]bool) []int {
	t.Helper()
	var counts []int
	for start := 0; start < count(data.Sightings); start += hits {
		n := 0
		for j, sg := range data.Sightings.Docs[start : start+hits] {
			if !examined[sg.ExternalIDs[0]] {
				continue
			}
			if j != n {
				t.Errorf("observable %d: hit %d examined while a newer one was not", start/hits, j)
			}
			n++
		}
		counts = append(counts, n)
	}
	return counts
}

func TestBudgetPopularObservables(t *testing.T) {
	r := newCachedRigWith(t, popular, 64<<20, defaultBudget)
	data, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s, res := r.calls(); s != 4 || res > 40 {
		t.Errorf("calls: %d searches, %d results; want 4 and at most 40", s, res)
	}
	if got := count(data.Sightings); got != 400 {
		t.Errorf("sightings = %d, want 400: every hit is one", got)
	}
	if got := examinedPerObservable(t, data, 100, resultIDs(r.fake)); !slices.Equal(got, []int{10, 10, 10, 10}) {
		t.Errorf("results fetched per observable = %v, want the newest 10 of each", got)
	}
}

func TestBudgetSharedAcrossManyObservables(t *testing.T) {
	r := newCachedRigWith(t, popular, 64<<20, defaultBudget)
	data, errs := r.svc.Observe(context.Background(), "k", domains("many", 50), config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s, res := r.calls(); s != 50 || res > 100 {
		t.Errorf("calls: %d searches, %d results; want 50 and at most 100", s, res)
	}
	want := slices.Repeat([]int{2}, 50)
	if got := examinedPerObservable(t, data, 100, resultIDs(r.fake)); !slices.Equal(got, want) {
		t.Errorf("results fetched per observable = %v, want the newest 2 of each", got)
	}
}

// TestBudgetRoundRobin checks that a request bound that does not divide
// evenly goes rank by rank: every observable gets its newest hits before
// any gets more, earlier observables first among equals.
func TestBudgetRoundRobin(t *testing.T) {
	cfg := defaultBudget
	cfg.ResultsPerRequest = 26
	r := newCachedRigWith(t, popular, 64<<20, cfg)
	data, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if got, want := examinedPerObservable(t, data, 100, resultIDs(r.fake)), []int{7, 7, 6, 6}; !slices.Equal(got, want) {
		t.Errorf("results fetched per observable = %v, want %v", got, want)
	}
}

func TestBudgetZeroFetchesEveryResult(t *testing.T) {
	cfg := defaultBudget
	cfg.ResultsPerObservable = 0
	r := newCachedRigWith(t, popular, 64<<20, cfg)
	data, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s, res := r.calls(); s != 4 || res != 400 {
		t.Errorf("calls: %d searches, %d results; want 4 and 400, as the original", s, res)
	}
	if got := count(data.Sightings); got != 400 {
		t.Errorf("sightings = %d, want 400", got)
	}
}

// TestBudgetCachedResultsAreFree checks that documents already cached are
// used and do not count: a second look with a fresh search cache examines
// the next ten hits of each observable as well as the first ten.
func TestBudgetCachedResultsAreFree(t *testing.T) {
	r := newCachedRigWith(t, popular, 64<<20, defaultBudget)
	if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit); len(errs) != 0 {
		t.Fatal(errs)
	}
	searches, err := cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: time.Minute, MaxBytes: 1 << 20, Weigh: WeighHits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(searches.Close)
	again := New(NewCached(r.client, searches, r.results), defaultBudget)
	data, errs := again.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s, res := r.calls(); s != 8 || res != 80 {
		t.Errorf("calls after two looks: %d searches, %d results; want 8 and 80", s, res)
	}
	if got := examinedPerObservable(t, data, 100, resultIDs(r.fake)); !slices.Equal(got, []int{20, 20, 20, 20}) {
		t.Errorf("results known per observable = %v, want the newest 20 of each", got)
	}
}

// TestNearlySpentQuotaGoesToNewestHits spends a retrieve quota of 50 with a
// first request (40 results), so that the second, which would fetch 40,
// can pay for 10: they go to the newest hits, and the other 30 scans are
// sightings without judgements and one error, not 30 refused calls.
func TestNearlySpentQuotaGoesToNewestHits(t *testing.T) {
	fo := popular
	fo.Limits = map[string]int{"retrieve": 50}
	r := newCachedRigWith(t, fo, 64<<20, defaultBudget)
	if _, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit); len(errs) != 0 {
		t.Fatal(errs)
	}
	before := resultIDs(r.fake)
	_, resBefore := r.calls()
	data, errs := r.svc.Observe(context.Background(), "k", domains("late", 4), config.DefaultEntitiesLimit)
	if _, res := r.calls(); res-resBefore != 10 {
		t.Errorf("result calls = %d, want the 10 the quota had left", res-resBefore)
	}
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	e := tr.From(errs[0])
	if e.Code != tr.TooManyRequests || !strings.Contains(e.Message, "30 scans were left unexamined") {
		t.Errorf("error = %v, want too many requests saying 30 scans were left unexamined", e)
	}
	examined := resultIDs(r.fake)
	for id := range before {
		delete(examined, id)
	}
	if got, want := examinedPerObservable(t, data, 100, examined), []int{3, 3, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("results fetched per observable = %v, want %v: the newest first", got, want)
	}
	if got := count(data.Sightings); got != 400 {
		t.Errorf("sightings = %d, want 400", got)
	}
	checkNothingJudgedClean(t, data, examined)
}

// checkNothingJudgedClean fails when the answer says anything of a scan
// outside examined, or anything but malicious of any scan.
func checkNothingJudgedClean(t *testing.T, data ctim.ObserveData, examined map[string]bool) {
	t.Helper()
	unexamined := map[string]bool{}
	for _, sg := range data.Sightings.Docs {
		if !examined[sg.ExternalIDs[0]] {
			unexamined[sg.ID] = true
		}
	}
	if data.Relationships != nil {
		for _, rel := range data.Relationships.Docs {
			if unexamined[rel.TargetRef] {
				t.Errorf("relationship %s points at the sighting of an unexamined scan", rel.ID)
			}
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var said struct {
		Judgements *ctim.Docs[map[string]any] `json:"judgements"`
		Verdicts   *ctim.Docs[map[string]any] `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &said); err != nil {
		t.Fatal(err)
	}
	for _, d := range [...]*ctim.Docs[map[string]any]{said.Judgements, said.Verdicts} {
		if d == nil {
			continue
		}
		for _, doc := range d.Docs {
			if doc["disposition"] != float64(dispositionMalicious) {
				t.Errorf("%s with disposition %v: only malicious is ever said", doc["type"], doc["disposition"])
			}
		}
	}
	if s := strings.ToLower(string(b)); strings.Contains(s, "clean") || strings.Contains(s, "benign") {
		t.Error("the answer calls something clean or benign")
	}
}

func TestReferCostsOneHitSearch(t *testing.T) {
	r := newCachedRigWith(t, popular, 64<<20, defaultBudget)
	refs, errs := r.svc.Refer(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if s, res := r.calls(); s != 4 || res != 0 {
		t.Errorf("calls: %d searches, %d results; want 4 and none", s, res)
	}
	for _, req := range r.fake.Requests() {
		if req.Endpoint == "search" && req.Size != "1" {
			t.Errorf("refer searched %s with size=%s, want 1", req.Query, req.Size)
		}
	}
	// The pivot names each observable's newest scan: the first sighting
	// observe answers for it.
	data, errs := r.svc.Observe(context.Background(), "k", fourObservables, config.DefaultEntitiesLimit)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	var latest []string
	for _, ref := range refs {
		if strings.HasPrefix(ref.ID, "ref-urlscan-latest-") {
			latest = append(latest, ref.URL)
		}
	}
	var want []string
	for i := range fourObservables {
		want = append(want, "https://urlscan.io/result/"+data.Sightings.Docs[i*100].ExternalIDs[0]+"/")
	}
	if !slices.Equal(latest, want) {
		t.Errorf("latest scan pivots = %v, want %v", latest, want)
	}
	// After observe, refer reuses its cached searches.
	s0, _ := r.calls()
	if _, errs := r.svc.Refer(context.Background(), "k", fourObservables[:1], config.DefaultEntitiesLimit); len(errs) != 0 {
		t.Fatal(errs)
	}
	if s1, _ := r.calls(); s1 != s0 {
		t.Errorf("refer after observe made %d searches, want none", s1-s0)
	}
}
