package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestTiles drives the dashboard endpoints of a running relay against the
// fake urlscan.io: every tile for every period (the quota tile from the
// fake's quotas answer, the recent scans from a trigger, the verdicts from
// lookups), then an expired token, an unknown tile and an unknown period.
func TestTiles(t *testing.T) {
	f := newFixture(t, "tiles-key-Jp4w")
	f.upstream.Close()
	f.upstream = urlscantest.NewServer(urlscantest.Options{APIKey: f.apiKey, Hits: 2, MaliciousScans: "phish",
		Limits: map[string]int{"search": 1000, "retrieve": 5000, "private": 50, "unlisted": 100, "public": 500}})
	t.Cleanup(f.upstream.Close)
	base, _, stop := startRelay(t, f.env(map[string]string{"SCAN_WAIT": "0"}))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	tile := func(path, token, body string) map[string]any {
		t.Helper()
		return f.send(t, http.MethodPost, base+path, token, body, nil).json(t)
	}

	list := tile("/tiles", f.token, "")
	var ids []string
	for _, d := range list["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, ",") != "urlscan-quota,urlscan-recent-scans,urlscan-verdicts" {
		t.Fatalf("/tiles = %v", list)
	}
	if got := tile("/tiles/tile", f.token, `{"tile_id":"urlscan-verdicts"}`); got["data"].(map[string]any)["type"] != "donut_graph" {
		t.Errorf("/tiles/tile = %v", got)
	}

	// Something to show: two lookups (one malicious, judged by the fake's
	// generated documents or not) and a scan submitted through the relay.
	f.send(t, http.MethodPost, base+"/observe/observables", f.token, `[{"type":"domain","value":"a.example"},{"type":"ip","value":"1.1.1.1"}]`, nil)
	f.send(t, http.MethodPost, base+"/respond/trigger", f.token, triggerBody("url", "https://phish.example/x"), nil)
	searchesUsed := f.upstream.Calls("search")

	for _, period := range []string{"last_hour", "last_24_hours", "last_7_days", "last_30_days"} {
		q := tile("/tiles/tile-data", f.token, `{"tile_id":"urlscan-quota","period":"`+period+`"}`)
		data, _ := q["data"].(map[string]any)
		metrics, _ := data["data"].([]any)
		if len(metrics) != 5 {
			t.Fatalf("%s: quota tile = %v", period, q)
		}
		first := metrics[0].(map[string]any)
		if first["label"] != "Searches left today (of 1000)" || first["value"] != float64(1000-searchesUsed) {
			t.Errorf("%s: quota tile's first metric = %v, want %d searches left", period, first, 1000-searchesUsed)
		}
		if data["observed_time"] == nil || data["valid_time"] == nil || data["cache_scope"] != "user" {
			t.Errorf("%s: quota tile lacks its times: %v", period, data)
		}

		r := tile("/tiles/tile-data", f.token, `{"tile_id":"urlscan-recent-scans","period":"`+period+`"}`)
		lines, _ := r["data"].(map[string]any)["data"].([]any)
		if len(lines) != 3 || !strings.Contains(lines[2].(string), `https://phish\.example/x`) || !strings.Contains(lines[2].(string), "private") {
			t.Errorf("%s: recent scans = %v", period, lines)
		}

		v := tile("/tiles/tile-data", f.token, `{"tile_id":"urlscan-verdicts","period":"`+period+`"}`)
		b, _ := json.Marshal(v["data"])
		var donut struct {
			Data []struct{ Key, Value int }
		}
		if err := json.Unmarshal(b, &donut); err != nil || len(donut.Data) != 2 || donut.Data[0].Value+donut.Data[1].Value != 2 {
			t.Errorf("%s: verdicts = %s, want the two observables looked up", period, b)
		}
	}
	if calls := f.upstream.Requests(); countPath(calls, "/user/quotas/") != 1 {
		t.Errorf("quotas endpoint asked %d times for four periods, want 1 (reused for a minute)", countPath(calls, "/user/quotas/"))
	}

	expired := f.issuer.Token(map[string]any{"key": f.apiKey, "aud": audience, "exp": time.Now().Add(-time.Hour).Unix()})
	for _, c := range []struct{ path, token, body, code string }{
		{"/tiles", expired, "", "authorization error"},
		{"/tiles/tile", expired, `{"tile_id":"urlscan-quota"}`, "authorization error"},
		{"/tiles/tile-data", expired, `{"tile_id":"urlscan-quota","period":"last_hour"}`, "authorization error"},
		{"/tiles/tile", f.token, `{"tile_id":"nope"}`, "invalid argument"},
		{"/tiles/tile-data", f.token, `{"tile_id":"nope","period":"last_hour"}`, "invalid argument"},
		{"/tiles/tile-data", f.token, `{"tile_id":"urlscan-quota","period":"last_year"}`, "invalid argument"},
		{"/tiles/tile-data", f.token, `{"tile_id":"urlscan-quota"}`, "invalid argument"},
	} {
		a := f.send(t, http.MethodPost, base+c.path, c.token, c.body, nil)
		if codes := a.errorCodes(t); len(codes) != 1 || codes[0] != c.code {
			t.Errorf("%s %s = %s, want %s", c.path, c.body, a.body, c.code)
		}
	}
}

func countPath(reqs []urlscantest.Request, path string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}
