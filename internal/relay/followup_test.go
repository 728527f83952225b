package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
	"urlscan-relay/internal/urlscan/urlscantest"
)

const followKey = "follow-key"

// followRig is the production stack with a scan book: the real client over
// loopback to the fake, the caches (their clock in the test's hand), and
// poll timings in milliseconds.
type followRig struct {
	fake     *urlscantest.Server
	svc      *Service
	book     *scans.Book
	searches *cache.Cache[[]urlscan.Hit]
	cacheNow *clocktest.Clock
}

func newFollowRig(t *testing.T, fo urlscantest.Options, fu FollowUp) *followRig {
	t.Helper()
	r := &followRig{fake: urlscantest.NewServer(fo), cacheNow: clocktest.New(time.Now())}
	t.Cleanup(r.fake.Close)
	client, err := urlscan.New(urlscan.Options{BaseURL: r.fake.URL, Timeout: 5 * time.Second, RetryPause: func() time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	r.searches, err = cache.New(cache.Options[[]urlscan.Hit]{Name: "search", TTL: 5 * time.Minute, MaxBytes: 1 << 20, Weigh: WeighHits, Now: r.cacheNow.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.searches.Close)
	results, err := cache.New(cache.Options[*urlscan.Result]{Name: "result", TTL: time.Hour, MaxBytes: 1 << 20, Weigh: WeighResult})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(results.Close)
	if fu.Book == nil {
		fu.Book = scans.New(scans.Options{})
	}
	r.book = fu.Book
	r.svc = New(NewCached(client, r.searches, results).WithGenerations(r.book), Config{
		UIURL: "https://urlscan.io", Visibilities: []string{"private"}, FollowUp: fu,
	})
	t.Cleanup(r.svc.Close)
	return r
}

func (r *followRig) trigger(t *testing.T, typ, value string) {
	t.Helper()
	if err := r.svc.Trigger(context.Background(), followKey, Trigger{ActionID: "urlscan-scan-private", ObservableType: typ, ObservableValue: value}); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
}

// waitState waits until the key's newest scan reaches state.
func (r *followRig) waitState(t *testing.T, state scans.State, within time.Duration) scans.Scan {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ss := r.book.Scans(context.Background(), urlscan.KeyID(followKey))
		if len(ss) > 0 && ss[0].State == state {
			return ss[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan did not become %s within %s: %+v", state, within, ss)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// resultCalls counts the result requests for scan id.
func (r *followRig) resultCalls(id string) int {
	n := 0
	for _, q := range r.fake.Requests() {
		if q.Endpoint == "result" && q.ID == id {
			n++
		}
	}
	return n
}

func countExternal(d ctim.ObserveData, id string) (sightings, judgements int) {
	if d.Sightings != nil {
		for _, s := range d.Sightings.Docs {
			if len(s.ExternalIDs) == 1 && s.ExternalIDs[0] == id {
				sightings++
			}
		}
	}
	if d.Judgements != nil {
		for _, j := range d.Judgements.Docs {
			if strings.Contains(j.SourceURI, id) {
				judgements++
			}
		}
	}
	return sightings, judgements
}

var fast = FollowUp{Wait: 5 * time.Second, FirstLook: 40 * time.Millisecond, Every: 20 * time.Millisecond}

// TestFollowUpShowsTheScanBeforeSearchLists: a trigger drops the cached
// searches of the URL and its domain; once the scan finishes, observe and
// deliberate show it (sighting, judgement, verdict) though search does not
// list it yet; once search does, it is there once.
func TestFollowUpShowsTheScanBeforeSearchLists(t *testing.T) {
	r := newFollowRig(t, urlscantest.Options{Hits: 2, ScanDuration: 150 * time.Millisecond, MaliciousScans: "phish"}, fast)
	ctx := context.Background()
	obs := []ctim.Observable{{Type: "url", Value: "https://phish.example/login"}, {Type: "domain", Value: "phish.example"}}
	r.svc.Observe(ctx, followKey, obs, 10)
	r.svc.Observe(ctx, followKey, obs, 10)
	if n := r.fake.Calls("search"); n != 2 {
		t.Fatalf("searches before the trigger = %d, want 2 (then cached)", n)
	}

	r.trigger(t, "url", "https://phish.example/login")
	id := r.book.Scans(ctx, urlscan.KeyID(followKey))[0].ID
	r.svc.Observe(ctx, followKey, obs, 10)
	if n := r.fake.Calls("search"); n != 4 {
		t.Errorf("searches after the trigger = %d, want 4: the cached answers of the url and its domain dropped", n)
	}
	sc := r.waitState(t, scans.Done, 3*time.Second)
	if !sc.Malicious {
		t.Errorf("recorded scan %+v, want malicious", sc)
	}
	if n := r.resultCalls(id); n < 2 {
		t.Errorf("%d result polls, want at least one not finished and one finished", n)
	}

	data, errs := r.svc.Observe(ctx, followKey, obs, 10)
	if len(errs) > 0 {
		t.Fatalf("observe errors: %v", errs)
	}
	if s, j := countExternal(data, id); s != 2 || j != 2 {
		t.Errorf("observe: %d sightings and %d judgements of the new scan, want 2 and 2 (url and domain)", s, j)
	}
	if data.Verdicts == nil || len(data.Verdicts.Docs) != 2 {
		t.Errorf("observe verdicts = %+v, want both observables malicious", data.Verdicts)
	}
	del, _ := r.svc.Deliberate(ctx, followKey, obs[1:], 10)
	if del.Verdicts == nil || len(del.Verdicts.Docs) != 1 {
		t.Errorf("deliberate = %+v, want the domain's malicious verdict", del)
	}
	// Another key's lookups never see it.
	other, _ := r.svc.Observe(ctx, "other-key", obs, 10)
	if s, _ := countExternal(other, id); s != 0 {
		t.Errorf("another key sees %d sightings of the scan", s)
	}

	// Search catches up; the cached answers expire.
	r.fake.IndexScans()
	r.cacheNow.Advance(6 * time.Minute)
	data, _ = r.svc.Observe(ctx, followKey, obs, 10)
	if s, j := countExternal(data, id); s != 2 || j != 2 {
		t.Errorf("once search lists it: %d sightings and %d judgements, want 2 and 2 (no double count)", s, j)
	}
}

// TestFollowUpStopsAtScanWait: a scan that never finishes is polled as
// advised (first look, then every interval), one request a poll even when
// urlscan fails, and not after SCAN_WAIT.
func TestFollowUpStopsAtScanWait(t *testing.T) {
	fu := FollowUp{Wait: 300 * time.Millisecond, FirstLook: 60 * time.Millisecond, Every: 40 * time.Millisecond}
	r := newFollowRig(t, urlscantest.Options{ScanDuration: time.Hour}, fu)
	// Half the polls fail with a 503, which the client would otherwise retry.
	r.fake.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusServiceUnavailable, Times: 3})
	start := time.Now()
	r.trigger(t, "domain", "slow.example")
	id := r.book.Scans(context.Background(), urlscan.KeyID(followKey))[0].ID
	r.waitState(t, scans.Expired, 2*time.Second)
	took := time.Since(start)
	polls := r.resultCalls(id)
	// 60 ms, then every 40 ms up to 300 ms: 7 polls at most.
	if polls < 2 || polls > 7 {
		t.Errorf("%d result requests, want 2 to 7 (one per poll, none after SCAN_WAIT)", polls)
	}
	if took < 200*time.Millisecond {
		t.Errorf("expired after %s, before SCAN_WAIT", took)
	}
	time.Sleep(150 * time.Millisecond)
	if n := r.resultCalls(id); n != polls {
		t.Errorf("%d more polls after SCAN_WAIT", n-polls)
	}
}

// TestFollowUpStopsOnClose: Close ends every follow-up at once, even one
// waiting for its next poll.
func TestFollowUpStopsOnClose(t *testing.T) {
	r := newFollowRig(t, urlscantest.Options{ScanDuration: time.Hour}, FollowUp{Wait: 2 * time.Hour, FirstLook: 10 * time.Millisecond, Every: time.Hour})
	r.trigger(t, "domain", "long.example")
	id := r.book.Scans(context.Background(), urlscan.KeyID(followKey))[0].ID
	deadline := time.Now().Add(2 * time.Second)
	for r.resultCalls(id) < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { r.svc.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return within 2s: a follow-up waits on")
	}
	n := r.resultCalls(id)
	time.Sleep(50 * time.Millisecond)
	if m := r.resultCalls(id); m != n {
		t.Errorf("%d polls after Close", m-n)
	}
	// A trigger after Close is still submitted and recorded, not followed.
	r.trigger(t, "domain", "later.example")
	if ss := r.book.Scans(context.Background(), urlscan.KeyID(followKey)); len(ss) != 2 || ss[0].State != scans.Pending {
		t.Errorf("book after a trigger past Close = %+v", ss)
	}
}

// TestFollowUpUnknownScanStops: a 404 that does not say "not finished"
// means urlscan does not know the scan: one poll, then gone.
func TestFollowUpUnknownScanStops(t *testing.T) {
	r := newFollowRig(t, urlscantest.Options{ScanDuration: time.Hour}, fast)
	r.fake.Inject(urlscantest.Fault{Endpoint: "result", Status: http.StatusNotFound, Body: `{"message":"Scan not found","status":404}`})
	r.trigger(t, "domain", "gone.example")
	sc := r.waitState(t, scans.Gone, 2*time.Second)
	time.Sleep(3 * fast.Every)
	if n := r.resultCalls(sc.ID); n != 1 {
		t.Errorf("%d polls of an unknown scan, want 1", n)
	}
}

// TestFollowUpsAreBounded: past the per-key and overall bounds a scan is
// recorded but not followed.
func TestFollowUpsAreBounded(t *testing.T) {
	fu := FollowUp{Wait: time.Hour, FirstLook: 10 * time.Millisecond, Every: 10 * time.Millisecond, MaxPerKey: 1, MaxInAll: 2}
	r := newFollowRig(t, urlscantest.Options{ScanDuration: time.Hour}, fu)
	ctx := context.Background()
	trig := func(key, domain string) string {
		if err := r.svc.Trigger(ctx, key, Trigger{ActionID: "urlscan-scan-private", ObservableType: "domain", ObservableValue: domain}); err != nil {
			t.Fatal(err)
		}
		return r.book.Scans(ctx, urlscan.KeyID(key))[0].ID
	}
	a1, a2 := trig("key-a", "a1.example"), trig("key-a", "a2.example")
	b1, c1 := trig("key-b", "b1.example"), trig("key-c", "c1.example")
	deadline := time.Now().Add(3 * time.Second)
	for (r.resultCalls(a1) == 0 || r.resultCalls(b1) == 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // time enough for a2 and c1 to be polled, were they followed
	for _, tt := range []struct {
		id       string
		followed bool
	}{{a1, true}, {a2, false}, {b1, true}, {c1, false}} {
		if got := r.resultCalls(tt.id) > 0; got != tt.followed {
			t.Errorf("scan %s followed = %v, want %v", tt.id, got, tt.followed)
		}
	}
}

// failingRemote is a shared store that is down.
type failingRemote struct{}

func (failingRemote) Append(context.Context, string, []byte, int, time.Duration) error {
	return errors.New("redis down")
}
func (failingRemote) Recent(context.Context, string, int) ([][]byte, error) {
	return nil, errors.New("redis down")
}

// TestFollowUpWithSharedStoreDown: the book falls back to memory, and the
// finished scan still shows.
func TestFollowUpWithSharedStoreDown(t *testing.T) {
	fu := fast
	fu.Book = scans.New(scans.Options{Remote: failingRemote{}})
	r := newFollowRig(t, urlscantest.Options{ScanDuration: 50 * time.Millisecond, MaliciousScans: "bad"}, fu)
	r.trigger(t, "domain", "bad.example")
	sc := r.waitState(t, scans.Done, 3*time.Second)
	data, _ := r.svc.Observe(context.Background(), followKey, []ctim.Observable{{Type: "domain", Value: "bad.example"}}, 10)
	if s, j := countExternal(data, sc.ID); s != 1 || j != 1 {
		t.Errorf("with the shared store down: %d sightings, %d judgements of the scan, want 1 and 1", s, j)
	}
}

// noteLog records what the relay tells a LookupNoter.
type noteLog struct {
	mu    sync.Mutex
	notes []string
}

func (n *noteLog) Note(keyID, typ, value string, malicious bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notes = append(n.notes, fmt.Sprintf("%s %s %s %v", keyID, typ, value, malicious))
}

func TestLookupsAreNoted(t *testing.T) {
	f := newFake()
	f.hits[`page.domain:"bad.test"`] = []urlscan.Hit{{ID: "s1", Time: at("2024-01-01T00:00:00Z")}}
	f.results["s1"] = malicious("2024-01-01T00:00:00Z", "phishing")
	f.hits[`page.ip:"192.0.2.1"`] = []urlscan.Hit{{ID: "s2", Time: at("2024-01-01T00:00:00Z")}}
	f.results["s2"] = benign()
	f.searchErrs[`page.ip:"192.0.2.9"`] = errors.New("down")
	n := &noteLog{}
	s := New(f, Config{Lookups: n})
	s.Observe(context.Background(), "k", []ctim.Observable{{Type: "domain", Value: "bad.test"}, {Type: "ip", Value: "192.0.2.1"}, {Type: "ip", Value: "192.0.2.9"}}, 10)
	s.Deliberate(context.Background(), "k", []ctim.Observable{{Type: "domain", Value: "bad.test"}}, 10)
	id := urlscan.KeyID("k")
	want := []string{id + " domain bad.test true", id + " ip 192.0.2.1 false", id + " domain bad.test true"}
	if !slices.Equal(n.notes, want) {
		t.Errorf("notes = %q, want %q (a failed search is not a lookup)", n.notes, want)
	}
}
