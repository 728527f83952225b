package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/cache/rediscache/redistest"
	"urlscan-relay/internal/urlscan/urlscantest"
)

// scanOf returns the uuid of the one scan the fake accepted, or "".
func scanOf(t *testing.T, up *urlscantest.Server) string {
	t.Helper()
	ids := up.Submitted()
	if len(ids) > 1 {
		t.Fatalf("%d scans accepted, want one", len(ids))
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// observeShows reports whether an observe answer holds a sighting of scan
// id and a judgement pointing at its report.
func observeShows(body []byte, id string) (sighting, judgement bool) {
	b := string(body)
	return strings.Contains(b, `"external_ids":["`+id+`"]`), strings.Contains(b, `/result/`+id+`/"`)
}

func triggerBody(typ, value string) string {
	return `{"action-id":"urlscan-scan-private","observable_type":"` + typ + `","observable_value":"` + value + `"}`
}

// TestEndToEndScanFollowUp drives a trigger through to the observe that
// shows the finished scan: the relay polls as urlscan advises (first look
// after about 10 s), the scan finishes while search does not list it, and
// the next observe shows it, sighting and judgement, once.
func TestEndToEndScanFollowUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "followup-key-Q3x8")
	f.upstream.Close()
	f.upstream = urlscantest.NewServer(urlscantest.Options{APIKey: f.apiKey, Hits: 2, ScanDuration: 3 * time.Second, MaliciousScans: "phish"})
	t.Cleanup(f.upstream.Close)
	base, _, stop := startRelay(t, f.env(nil))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	obs := `[{"type":"domain","value":"phish.example"}]`
	f.send(t, http.MethodPost, base+"/observe/observables", f.token, obs, nil)
	searches := f.upstream.Calls("search")

	start := time.Now()
	if got := f.send(t, http.MethodPost, base+"/respond/trigger", f.token, triggerBody("domain", "phish.example"), nil); !strings.Contains(string(got.body), `"success"`) {
		t.Fatalf("trigger = %s", got.body)
	}
	early := f.send(t, http.MethodPost, base+"/observe/observables", f.token, obs, nil)
	if n := f.upstream.Calls("search"); n != searches+1 {
		t.Errorf("observe after the trigger made %d searches, want 1: the cached answer is dropped", n-searches)
	}
	id := scanOf(t, f.upstream)
	if s, _ := observeShows(early.body, id); s || id == "" {
		t.Errorf("observe shows scan %q before it finished", id)
	}

	var shown answer
	waitFor(t, 25*time.Second, "observe showing the finished scan", func() bool {
		shown = f.send(t, http.MethodPost, base+"/observe/observables", f.token, obs, nil)
		s, j := observeShows(shown.body, id)
		return s && j
	})
	if took := time.Since(start); took < 9*time.Second {
		t.Errorf("the scan showed after %s; the first look is due after about 10 s", took)
	}
	if n := strings.Count(string(shown.body), `"external_ids":["`+id+`"]`); n != 1 {
		t.Errorf("%d sightings of the scan, want 1", n)
	}
	if !strings.Contains(string(shown.body), `"verdicts"`) {
		t.Errorf("no verdict for the malicious scan: %s", shown.body)
	}
}

// TestFollowUpSharedThroughRedis: the scan one replica submitted and
// followed shows on another replica of the same Redis, its result read
// from Redis, and the other replica's cached search is dropped too.
func TestFollowUpSharedThroughRedis(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "followup-redis-key-Z9")
	f.upstream.Close()
	f.upstream = urlscantest.NewServer(urlscantest.Options{APIKey: f.apiKey, Hits: 2, ScanDuration: time.Second, MaliciousScans: "phish"})
	t.Cleanup(f.upstream.Close)
	rs := redistest.Start(t)
	env := f.env(map[string]string{"REDIS_URL": rs.URL(), "REDIS_TIMEOUT": "1s"}) // room for a loaded machine
	baseA, _, stopA := startRelay(t, env)
	baseB, _, stopB := startRelay(t, env)
	defer func() {
		for _, stop := range []func() error{stopA, stopB} {
			if err := stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	}()
	obs := `[{"type":"url","value":"https://phish.example/login"}]`
	f.send(t, http.MethodPost, baseB+"/observe/observables", f.token, obs, nil)
	f.send(t, http.MethodPost, baseB+"/observe/observables", f.token, obs, nil)
	searches := f.upstream.Calls("search")

	f.send(t, http.MethodPost, baseA+"/respond/trigger", f.token, triggerBody("url", "https://phish.example/login"), nil)
	id := scanOf(t, f.upstream)
	waitFor(t, 25*time.Second, "replica A following the scan to its end", func() bool {
		s, _ := observeShows(f.send(t, http.MethodPost, baseA+"/observe/observables", f.token, obs, nil).body, id)
		return s
	})
	results := f.upstream.Calls("result")
	time.Sleep(1100 * time.Millisecond) // B rereads the shared book within a second
	got := f.send(t, http.MethodPost, baseB+"/observe/observables", f.token, obs, nil)
	if s, j := observeShows(got.body, id); !s || !j {
		t.Errorf("replica B does not show the scan A followed (%d bytes answered)", len(got.body))
	}
	if n := f.upstream.Calls("result"); n != results {
		t.Errorf("replica B fetched %d results from urlscan.io, want 0: the follow-up's result is in Redis", n-results)
	}
	if f.upstream.Calls("search") == searches {
		t.Errorf("no search since the trigger: B's cached answer was not dropped")
	}
}
