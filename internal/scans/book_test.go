package scans

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/cooloff"
)

// memRemote is a Remote in memory that can fail on demand and holds
// whatever records a test plants, valid or not.
type memRemote struct {
	mu    sync.Mutex
	logs  map[string][][]byte
	fail  bool
	reads int
}

func (m *memRemote) Append(_ context.Context, keyID string, rec []byte, max int, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("down")
	}
	if m.logs == nil {
		m.logs = map[string][][]byte{}
	}
	l := append([][]byte{rec}, m.logs[keyID]...)
	if len(l) > max {
		l = l[:max]
	}
	m.logs[keyID] = l
	return nil
}

func (m *memRemote) Recent(_ context.Context, keyID string, max int) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.fail {
		return nil, errors.New("down")
	}
	l := m.logs[keyID]
	if len(l) > max {
		l = l[:max]
	}
	return l, nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func scan(id string, at time.Time, q ...string) Scan {
	return Scan{ID: id, Submitted: at, URL: "https://x.test/", Visibility: "private", Queries: q, State: Pending}
}

func TestBookSharesScansBetweenReplicas(t *testing.T) {
	r := &memRemote{}
	c := clocktest.New(t0)
	a := New(Options{Remote: r, Now: c.Now})
	b := New(Options{Remote: r, Now: c.Now})
	ctx := context.Background()

	if got := b.Scans(ctx, "k"); len(got) != 0 {
		t.Fatalf("empty book: %v", got)
	}
	a.Record(ctx, "k", scan("id-1", t0, `page.domain:"x.test"`))
	// b read the remote a moment ago; it reads again after Refresh.
	if got := b.Scans(ctx, "k"); len(got) != 0 {
		t.Errorf("b within Refresh: %v, want its cached empty view", got)
	}
	c.Advance(DefaultRefresh)
	got := b.Scans(ctx, "k")
	if len(got) != 1 || got[0].ID != "id-1" || got[0].State != Pending {
		t.Fatalf("b after Refresh = %+v, want a's pending scan", got)
	}
	if g := b.Generation("k", `page.domain:"x.test"`); g != "id-1" {
		t.Errorf("b's Generation = %q, want id-1", g)
	}
	if g := b.Generation("other", `page.domain:"x.test"`); g != "" {
		t.Errorf("another key's Generation = %q, want none", g)
	}

	done := got[0]
	done.State, done.Malicious = Done, true
	a.Record(ctx, "k", done)
	// A stale pending record cannot undo what is known.
	a.Record(ctx, "k", scan("id-1", t0, `page.domain:"x.test"`))
	c.Advance(DefaultRefresh)
	got = b.Scans(ctx, "k")
	if len(got) != 1 || got[0].State != Done || !got[0].Malicious {
		t.Errorf("b after a finished = %+v, want one done, malicious scan", got)
	}
}

func TestBookBounds(t *testing.T) {
	c := clocktest.New(t0)
	b := New(Options{MaxPerKey: 3, MaxKeys: 2, Keep: time.Hour, Now: c.Now})
	ctx := context.Background()
	for i := range 5 {
		b.Record(ctx, "k", scan(fmt.Sprintf("id-%d", i), t0.Add(time.Duration(i)*time.Minute)))
	}
	got := b.Scans(ctx, "k")
	if len(got) != 3 || got[0].ID != "id-4" || got[2].ID != "id-2" {
		t.Errorf("Scans = %v, want the newest three, newest first", ids(got))
	}
	c.Advance(time.Hour + 3*time.Minute + time.Second)
	if got := b.Scans(ctx, "k"); len(got) != 1 || got[0].ID != "id-4" {
		t.Errorf("after Keep: %v, want only id-4", ids(got))
	}
	b.Record(ctx, "k2", scan("id-a", c.Now()))
	c.Advance(time.Second)
	b.Record(ctx, "k3", scan("id-b", c.Now()))
	if got := b.Scans(ctx, "k"); len(got) != 0 {
		t.Errorf("least recently used key kept past MaxKeys: %v", ids(got))
	}
}

func TestBookSurvivesRemoteOutageAndBadRecords(t *testing.T) {
	r := &memRemote{fail: true}
	c := clocktest.New(t0)
	b := New(Options{Remote: r, Now: c.Now})
	ctx := context.Background()
	b.Record(ctx, "k", scan("id-1", t0, "q"))
	if got := b.Scans(ctx, "k"); len(got) != 1 {
		t.Errorf("memory during outage = %v, want the recorded scan", ids(got))
	}
	reads := r.reads
	c.Advance(DefaultRefresh / 2)
	b.Scans(ctx, "k")
	if r.reads != reads {
		t.Errorf("remote asked again within the cool-off")
	}

	r.fail = false
	r.logs = map[string][][]byte{"k": {
		[]byte(`{"id":"../../etc","at":"2026-03-01T12:00:00Z","vis":"private","state":"done"}`),
		[]byte(`{"id":"id-2","at":"2026-03-01T12:00:00Z","vis":"secret","state":"done"}`),
		[]byte(`{"id":"id-3","at":"2026-03-01T12:00:00Z","vis":"private","state":"owned"}`),
		[]byte(`not json`),
		[]byte(`{"id":"id-4","at":"2026-03-01T12:00:00Z","vis":"public","state":"done","mal":true}`),
	}}
	c.Advance(2 * cooloff.DefaultCooloff)
	got := b.Scans(ctx, "k")
	if len(got) != 2 || got[0].ID != "id-1" && got[0].ID != "id-4" {
		t.Errorf("after outage = %v, want id-1 and id-4 only", ids(got))
	}
}

func ids(ss []Scan) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func TestBookSweepsWhatIsPastKeep(t *testing.T) {
	c := clocktest.New(t0)
	b := New(Options{Keep: time.Hour, Now: c.Now})
	ctx := context.Background()
	b.Record(ctx, "old", scan("id-1", t0, "q"))
	c.Advance(time.Hour + sweepEvery)
	b.Record(ctx, "new", scan("id-2", c.Now(), "q"))
	b.mu.Lock()
	_, kept := b.keys.Peek("old")
	b.mu.Unlock()
	if kept {
		t.Error("a key whose scans are all past Keep is still in memory after the sweep")
	}
	if g := b.Generation("old", "q"); g != "" {
		t.Errorf("Generation of a swept key = %q", g)
	}
}

// heldRemote is a memRemote whose first read waits for release.
type heldRemote struct {
	*memRemote
	held    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *heldRemote) Recent(ctx context.Context, keyID string, max int) ([][]byte, error) {
	if h.held.CompareAndSwap(false, true) {
		close(h.entered)
		<-h.release
	}
	return h.memRemote.Recent(ctx, keyID, max)
}

// TestStaleKeyIsReadOnceAtATime holds that requests finding a key stale
// while another is reading it answer from memory instead of reading the
// Remote again.
func TestStaleKeyIsReadOnceAtATime(t *testing.T) {
	r := &heldRemote{memRemote: &memRemote{}, entered: make(chan struct{}), release: make(chan struct{})}
	c := clocktest.New(t0)
	b := New(Options{Remote: r, Now: c.Now})
	ctx := context.Background()
	b.Record(ctx, "k", scan("id-1", t0, "q"))
	c.Advance(2 * DefaultRefresh)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Scans(ctx, "k")
	}()
	<-r.entered // the first request is reading the Remote
	if got := b.Scans(ctx, "k"); len(got) != 1 {
		t.Errorf("a request during the read = %v, want the scan from memory", ids(got))
	}
	close(r.release)
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reads != 1 {
		t.Errorf("the Remote was read %d times, want once", r.reads)
	}
}
