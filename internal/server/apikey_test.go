package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/tiles"
)

// TestKeysThatCannotBeHeadersNeverLeave: a token whose urlscan.io key
// could not travel as an HTTP header value (or would split the header
// block) is refused as "permission denied" on every route, and nothing at
// all reaches urlscan.io.
func TestKeysThatCannotBeHeadersNeverLeave(t *testing.T) {
	s := newWatchedStack(t, authtest.Start(t), nil)
	const stem = "bad-key-3c9e71"
	keys := []struct{ name, key string }{
		{"space", stem + " x"},
		{"tab", stem + "\tx"},
		{"CR", stem + "\rx"},
		{"LF", stem + "\nx"},
		{"trailing LF", stem + "\n"},
		{"header injection", stem + "\r\nX-Injected: 1"},
		{"NUL", stem + "\x00x"},
		{"DEL", stem + "\x7fx"},
		{"leading space", " " + stem},
		{"non-ASCII", stem + "-clé"},
		{"emoji", stem + "🔑"},
		{"longer than any key", stem + strings.Repeat("k", 2048)},
	}
	for _, k := range keys {
		for _, route := range authRoutes {
			t.Run(k.name+" "+route.path, func(t *testing.T) {
				tok := s.token(map[string]any{"key": k.key})
				raw, _ := s.post(t, route.path, "Bearer "+tok, route.body)
				var got map[string]any
				if err := json.Unmarshal([]byte(raw), &got); err != nil {
					t.Fatal(err)
				}
				if code, msg := firstError(t, got); code != "permission denied" || msg != "The request is missing a valid API key." {
					t.Errorf("got %s\nwant permission denied", raw)
				}
				s.assertNoSecrets(t, k.key, tok, raw)
			})
		}
	}
	if reqs := s.upstream.Requests(); len(reqs) != 0 {
		t.Errorf("keys that cannot be headers made %d requests to urlscan.io, want none: %+v", len(reqs), reqs)
	}
}

// keylessVerifier accepts every token, with claims that carry no
// urlscan.io key.
type keylessVerifier struct{}

func (keylessVerifier) Verify(context.Context, string, []string) (*auth.Claims, error) {
	return &auth.Claims{}, nil
}

// countingTiles answers every tile and counts the data asked of it.
type countingTiles struct{ data atomic.Int64 }

func (*countingTiles) List() []tiles.Tile              { return []tiles.Tile{{ID: "t"}} }
func (*countingTiles) Tile(string) (tiles.Tile, error) { return tiles.Tile{ID: "t"}, nil }
func (c *countingTiles) Data(context.Context, string, string, string) (tiles.Data, error) {
	c.data.Add(1)
	return tiles.Data{}, nil
}

// TestKeylessTokenActsOnNothing: a verified token without a urlscan.io key
// is refused as "permission denied" by the routes that act with the key
// itself (a scan, a tile's data) before the relay or the tiles are asked.
func TestKeylessTokenActsOnNothing(t *testing.T) {
	rel := &fakeRelay{}
	tl := &countingTiles{}
	h, _ := newTestServer(t, rel, func(d *Deps) {
		d.Verifier = keylessVerifier{}
		d.Tiles = tl
	})
	const denied = `{"code":"permission denied","message":"The request is missing a valid API key.","type":"fatal"}`
	for _, tc := range []struct{ path, body, want string }{
		{"/respond/trigger", `{"action-id":"a","observable_type":"url","observable_value":"http://x"}`,
			`{"data":{"status":"failure"},"errors":[` + denied + `]}`},
		{"/tiles/tile-data", `{"tile_id":"t","period":"last_7_days"}`, `{"errors":[` + denied + `]}`},
	} {
		res, got := do(t, h, "POST", tc.path, tc.body, bearer)
		if res.StatusCode != 200 || asJSON(got) != tc.want {
			t.Errorf("%s = %d %s, want 200 %s", tc.path, res.StatusCode, asJSON(got), tc.want)
		}
	}
	if n := rel.calls.Load(); n != 0 {
		t.Errorf("relay called %d times, want none", n)
	}
	if n := tl.data.Load(); n != 0 {
		t.Errorf("tile data asked %d times, want none", n)
	}
	// The description of a tile needs a token, not a key.
	_, got := do(t, h, "POST", "/tiles/tile", `{"tile_id":"t"}`, bearer)
	if data, _ := got["data"].(map[string]any); got["errors"] != nil || data["id"] != "t" {
		t.Errorf("tile = %s, want tile t's description", asJSON(got))
	}
}
