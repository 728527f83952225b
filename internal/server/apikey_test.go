package server

import (
	"encoding/json"
	"strings"
	"testing"

	"urlscan-relay/internal/auth/authtest"
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
