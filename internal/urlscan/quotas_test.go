package urlscan

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/clocktest"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestQuotas(t *testing.T) {
	srv := newServer(t, urlscantest.Options{Limits: map[string]int{"retrieve": 120, "search": 60}})
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC))
	reg := prometheus.NewRegistry()
	c := newClient(t, srv.URL, func(o *Options) { o.Now = clock.Now; o.Registerer = reg })
	ctx := t.Context()
	for range 3 {
		if err := callEndpoint(ctx, c, endpointResult, testKey); err != nil {
			t.Fatal(err)
		}
	}
	q, err := c.Quotas(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Calls("quotas") != 1 || srv.Calls("search") != 0 {
		t.Errorf("calls: %d quotas, %d searches; want 1 and 0", srv.Calls("quotas"), srv.Calls("search"))
	}
	want := Window{Known: true, Limit: 120, Used: 3, Remaining: 117, Reset: time.Date(2026, 5, 1, 12, 1, 0, 0, time.UTC)}
	if got := q.Actions[QuotaRetrieve].Minute; got != want {
		t.Errorf("retrieve minute = %+v, want %+v", got, want)
	}
	if got := q.Actions[QuotaRetrieve].Day.Reset; !got.Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("retrieve day resets at %v, want midnight UTC", got)
	}
	if n, _, ok := q.Actions[QuotaSearch].Remaining(); !ok || n != 60 {
		t.Errorf("search remaining = %d, %v; want 60", n, ok)
	}
	for _, a := range []string{QuotaPrivate, QuotaUnlisted, QuotaPublic} {
		if !q.Actions[a].Hour.Known {
			t.Errorf("%s: no hour window", a)
		}
	}
	if _, ok := q.Actions["liveshot"]; ok {
		t.Error("liveshot's bare numbers taken for a quota")
	}
	if !q.At.Equal(clock.Now()) {
		t.Errorf("At = %v, want the client's clock", q.At)
	}
	// What the quotas said is what Remaining says until the window resets.
	if n, ok := c.Remaining(testKey, ActionResult); !ok || n != 117 {
		t.Errorf("Remaining(result) = %d, %v; want 117", n, ok)
	}
	if n, ok := c.Remaining(testKey, ActionSearch); !ok || n != 60 {
		t.Errorf("Remaining(search) = %d, %v; want 60", n, ok)
	}
	if got := value(t, c.metrics.quota.WithLabelValues(QuotaRetrieve, "minute")); got != 117 {
		t.Errorf(`urlscan_quota_remaining{action="retrieve",window="minute"} = %v, want 117`, got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), testKey) || l.GetValue() == KeyID(testKey) || l.GetName() == "key" {
					t.Errorf("%s has a key in label %s=%s", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestCheckAsksTheQuotas(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	if calls, err := c.Check(t.Context(), testKey); err != nil || calls != 1 {
		t.Fatalf("Check = %d calls, %v; want 1", calls, err)
	}
	if q, s := srv.Calls("quotas"), srv.Calls("search"); q != 1 || s != 0 {
		t.Errorf("Check made %d quotas calls and %d searches; want 1 and none", q, s)
	}
	for _, r := range srv.Requests() {
		if r.Path != "/user/quotas/" || !r.KeyPresent {
			t.Errorf("Check asked %s (key sent: %v), want /user/quotas/ at the origin with the key", r.Path, r.KeyPresent)
		}
	}
}

func TestCheckFallsBackToASearch(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	srv.Inject(urlscantest.Fault{Endpoint: "quotas", Status: http.StatusNotFound})
	c := newClient(t, srv.URL, nil)
	if calls, err := c.Check(t.Context(), testKey); err != nil || calls != 2 {
		t.Fatalf("Check = %d calls, %v; want 2", calls, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Endpoint != "search" || reqs[1].Size != "1" {
		t.Errorf("requests = %+v, want the quotas then one search of size 1", reqs)
	}
}

func TestCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault urlscantest.Fault
		code  tr.Code
	}{
		{"401", urlscantest.Fault{Status: 401}, tr.PermissionDenied},
		{"403", urlscantest.Fault{Status: 403}, tr.PermissionDenied},
		{"429", urlscantest.Fault{Status: 429}, tr.TooManyRequests},
		{"500", urlscantest.Fault{Status: 500}, tr.InternalError},
		{"503", urlscantest.Fault{Status: 503}, tr.ServiceUnavailable},
		{"not JSON", urlscantest.Fault{Body: "<html>"}, tr.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, urlscantest.Options{})
			f := tc.fault
			f.Endpoint = "quotas"
			srv.Inject(f)
			_, err := newClient(t, srv.URL, nil).Check(t.Context(), testKey)
			var e *Error
			if !errors.As(err, &e) || e.TR.Code != tc.code {
				t.Errorf("Check = %v, want %q", err, tc.code)
			}
			if srv.Calls("search") != 0 {
				t.Error("a failing quotas endpoint fell back to a search")
			}
		})
	}
}

func TestDecodeQuotas(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		doc  string
		want map[string]ActionQuota
	}{
		{"not quotas", `{"limits":{"liveshot":{"day":1000},"maxSearchResults":10000,"features":["a"]}}`, map[string]ActionQuota{}},
		{"no limits", `{"source":"user"}`, map[string]ActionQuota{}},
		{"one window", `{"limits":{"search":{"hour":{"limit":10,"used":4,"remaining":6,"percent":40}}}}`,
			map[string]ActionQuota{"search": {Hour: Window{Known: true, Limit: 10, Used: 4, Remaining: 6, Reset: now.Add(time.Hour)}}}},
		{"bad counts", `{"limits":{"search":{"minute":{"limit":-1,"used":0,"remaining":1},"hour":{"limit":1.5,"used":0,"remaining":1},"day":{"limit":"9","used":0,"remaining":1}}}}`,
			map[string]ActionQuota{}},
		{"hostile names", `{"limits":{"Search Now":{"day":{"limit":1,"used":0,"remaining":1}},"":{"day":{"limit":1,"used":0,"remaining":1}}}}`,
			map[string]ActionQuota{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := decodeQuotas([]byte(tc.doc), now)
			if err != nil {
				t.Fatal(err)
			}
			if len(q.Actions) != len(tc.want) {
				t.Fatalf("actions = %+v, want %+v", q.Actions, tc.want)
			}
			for k, v := range tc.want {
				if q.Actions[k] != v {
					t.Errorf("%s = %+v, want %+v", k, q.Actions[k], v)
				}
			}
		})
	}
	for _, bad := range []string{`[1]`, `{"limits":`, `nope`} {
		if _, err := decodeQuotas([]byte(bad), now); err == nil {
			t.Errorf("decodeQuotas(%q) succeeded", bad)
		}
	}
}

func FuzzDecodeQuotas(f *testing.F) {
	for _, s := range []string{
		`{"source":"user","limits":{"search":{"minute":{"limit":60,"used":1,"remaining":59,"percent":1.6},"hour":{"limit":1000,"used":1,"remaining":999},"day":{"limit":1000,"used":1,"remaining":999}},"liveshot":{"day":1000}}}`,
		`{"limits":{"retrieve":{"day":{"limit":1e300,"used":0,"remaining":-0}}}}`,
		`{"limits":[]}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte) {
		q, err := decodeQuotas(doc, now)
		if err != nil {
			return
		}
		if len(q.Actions) > maxQuotaActions {
			t.Fatalf("%d actions kept, bound %d", len(q.Actions), maxQuotaActions)
		}
		for name, a := range q.Actions {
			if !validActionName(name) {
				t.Fatalf("action name %q kept", name)
			}
			for _, w := range [...]Window{a.Minute, a.Hour, a.Day} {
				if w.Limit < 0 || w.Used < 0 || w.Remaining < 0 {
					t.Fatalf("negative count in %s: %+v", name, w)
				}
			}
		}
	})
}
