package tiles

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeQuotas struct {
	calls atomic.Int64
	err   error
}

func (f *fakeQuotas) Quotas(context.Context, string) (*urlscan.Quotas, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	day := func(limit, used int64) urlscan.ActionQuota {
		return urlscan.ActionQuota{Day: urlscan.Window{Known: true, Limit: limit, Used: used, Remaining: limit - used}}
	}
	return &urlscan.Quotas{Actions: map[string]urlscan.ActionQuota{
		"search": day(1000, 10), "retrieve": day(5000, 4990), "private": day(50, 0),
		"unlisted": day(100, 1), "public": day(500, 2),
	}}, nil
}

type fakeScans map[string][]scans.Scan

func (f fakeScans) Scans(_ context.Context, keyID string) []scans.Scan { return f[keyID] }

type fakeCounter struct{ since []time.Time }

func (f *fakeCounter) Count(keyID string, since time.Time) (int, int) {
	f.since = append(f.since, since)
	if keyID != urlscan.KeyID("k") {
		return 0, 0
	}
	return 3, 7
}

func newTiles(c *clocktest.Clock, q QuotaReader, sc ScanLister, n Counter) *Service {
	return New(Deps{Quotas: q, Scans: sc, Lookups: n, UIURL: "https://urlscan.test/", Now: c.Now})
}

func TestListAndTile(t *testing.T) {
	s := newTiles(clocktest.New(t0), &fakeQuotas{}, fakeScans{}, &fakeCounter{})
	got := s.List()
	want := map[string]string{"urlscan-quota": "metric_group", "urlscan-recent-scans": "markdown", "urlscan-verdicts": "donut_graph"}
	if len(got) != len(want) {
		t.Fatalf("List = %d tiles, want %d", len(got), len(want))
	}
	for _, tl := range got {
		if want[tl.ID] != tl.Type || tl.Title == "" || tl.Description == "" || tl.ShortDescription == "" || tl.DefaultPeriod != "last_24_hours" ||
			strings.Join(tl.Periods, ",") != "last_hour,last_24_hours,last_7_days,last_30_days" {
			t.Errorf("tile %+v", tl)
		}
		one, err := s.Tile(tl.ID)
		if err != nil || one.ID != tl.ID {
			t.Errorf("Tile(%s) = %+v, %v", tl.ID, one, err)
		}
	}
	if _, err := s.Tile("nope"); tr.From(err).Code != tr.InvalidArgument {
		t.Errorf("Tile(nope) = %v, want invalid argument", err)
	}
}

func TestDataRefusesUnknownTileAndPeriod(t *testing.T) {
	s := newTiles(clocktest.New(t0), &fakeQuotas{}, fakeScans{}, &fakeCounter{})
	for _, tt := range []struct{ id, period string }{{"nope", "last_hour"}, {"urlscan-verdicts", "last_year"}, {"urlscan-verdicts", ""}} {
		_, err := s.Data(context.Background(), "k", tt.id, tt.period)
		if te := tr.From(err); te == nil || te.Code != tr.InvalidArgument {
			t.Errorf("Data(%q, %q) = %v, want invalid argument", tt.id, tt.period, err)
		}
	}
}

func TestQuotaTile(t *testing.T) {
	c := clocktest.New(t0)
	q := &fakeQuotas{}
	s := newTiles(c, q, fakeScans{}, &fakeCounter{})
	for _, p := range periodNames() {
		d, err := s.Data(context.Background(), "k", "urlscan-quota", p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ms := d.Data.([]metric)
		if len(ms) != 5 || ms[0].Value != 990 || ms[0].Label != "Searches left today (of 1000)" || ms[1].Icon != "warning" || ms[0].Icon != "check" || ms[0].ValueUnit != "integer" {
			t.Errorf("%s: metrics = %+v", p, ms)
		}
		if d.CacheScope != "user" || d.ObservedTime.EndTime != "2026-03-01T12:00:00.000Z" {
			t.Errorf("%s: data %+v", p, d)
		}
	}
	if n := q.calls.Load(); n != 1 {
		t.Errorf("%d quota calls for four tiles within a minute, want 1", n)
	}
	c.Advance(time.Minute)
	if _, err := s.Data(context.Background(), "k", "urlscan-quota", "last_hour"); err != nil {
		t.Fatal(err)
	}
	if n := q.calls.Load(); n != 2 {
		t.Errorf("%d quota calls after a minute, want 2", n)
	}
	if _, err := s.Data(context.Background(), "other", "urlscan-quota", "last_hour"); err != nil || q.calls.Load() != 3 {
		t.Errorf("another key reused this key's quotas (calls %d)", q.calls.Load())
	}
	q.err = &urlscan.Error{TR: tr.New(tr.PermissionDenied, tr.MsgMissingKey)}
	c.Advance(time.Minute)
	if _, err := s.Data(context.Background(), "k", "urlscan-quota", "last_hour"); tr.From(err).Code != tr.PermissionDenied {
		t.Errorf("quota error = %v, want urlscan's permission denied", err)
	}
}

func TestRecentScansTile(t *testing.T) {
	c := clocktest.New(t0)
	key := urlscan.KeyID("k")
	var book []scans.Scan
	for i := range 25 {
		book = append(book, scans.Scan{ID: "id-" + string(rune('a'+i)), Submitted: t0.Add(-time.Duration(i) * time.Minute),
			URL: "https://x.test/" + string(rune('a'+i)), Visibility: "private", State: scans.Pending})
	}
	book[0].State, book[0].Malicious = scans.Done, true
	book[0].URL = "https://evil.test/a|b](javascript:x)\n#"
	book[1].State = scans.Done
	old := scans.Scan{ID: "id-old", Submitted: t0.Add(-2 * time.Hour), URL: "https://old.test/", Visibility: "public", State: scans.Expired}
	s := newTiles(c, &fakeQuotas{}, fakeScans{key: append(book, old)}, &fakeCounter{})

	d, err := s.Data(context.Background(), "k", "urlscan-recent-scans", "last_hour")
	if err != nil {
		t.Fatal(err)
	}
	lines := d.Data.([]string)
	if len(lines) != 2+maxRecentRows {
		t.Fatalf("%d lines, want the header and %d rows", len(lines), maxRecentRows)
	}
	if want := `| 2026-03-01 12:00 | https://evil\.test/a\|b\]\(javascript:x\) \# | private | **malicious** | [report](https://urlscan.test/result/id-a/) |`; lines[2] != want {
		t.Errorf("newest row =\n%s\nwant\n%s", lines[2], want)
	}
	if !strings.Contains(lines[3], "not malicious") || !strings.Contains(lines[4], "pending") {
		t.Errorf("rows 2 and 3 = %q, %q", lines[3], lines[4])
	}
	if strings.Contains(strings.Join(lines, "\n"), "old.test") {
		t.Error("last_hour lists a scan from two hours ago")
	}
	d, _ = s.Data(context.Background(), "k", "urlscan-recent-scans", "last_24_hours")
	if joined := strings.Join(d.Data.([]string), "\n"); strings.Contains(joined, "old.test") {
		t.Error("the 21st newest scan is listed past the bound")
	}
	d, _ = s.Data(context.Background(), "other", "urlscan-recent-scans", "last_30_days")
	if lines := d.Data.([]string); len(lines) != 3 || !strings.Contains(lines[2], "No scans") {
		t.Errorf("another key's tile = %q", lines)
	}
}

func TestVerdictsTile(t *testing.T) {
	c := clocktest.New(t0)
	n := &fakeCounter{}
	s := newTiles(c, &fakeQuotas{}, fakeScans{}, n)
	for i, p := range periods {
		d, err := s.Data(context.Background(), "k", "urlscan-verdicts", p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !n.since[i].Equal(t0.Add(-p.Span)) {
			t.Errorf("%s counted since %s", p.Name, n.since[i])
		}
		b, _ := json.Marshal(d)
		want := `"label_headers":["Verdict"],"labels":[["Malicious","Not malicious"]],"data":[{"key":0,"value":3,"segments":[{"key":0,"value":3}]},{"key":1,"value":7,"segments":[{"key":1,"value":7}]}]`
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: %s", p.Name, b)
		}
	}
}
