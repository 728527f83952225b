package urlscan

import (
	"strings"
	"testing"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestInvalidKeySendsNothing(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	keys := []string{"", " ", "abc def", "abc\r\nX-Injected: 1", "abc\n", "tab\tkey", "nul\x00", "del\x7f", "ключ", "caf\xc3\xa9", strings.Repeat("k", maxKeyBytes+1)}
	for _, key := range keys {
		for _, endpoint := range []string{"search", "result", "scan"} {
			err := callEndpoint(t.Context(), c, endpoint, key)
			got := tr.From(err)
			if got == nil || got.Code != tr.PermissionDenied || got.Message != "The request is missing a valid API key." {
				t.Errorf("%s with key %q: got %v, want permission denied", endpoint, key, err)
			}
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("got %d requests, want none", got)
	}
}

func TestKeyOnlyInHeader(t *testing.T) {
	srv := newServer(t, urlscantest.Options{APIKey: testKey})
	c := newClient(t, srv.URL, nil)
	for _, endpoint := range []string{"search", "result", "scan"} {
		if err := callEndpoint(t.Context(), c, endpoint, testKey); err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
	}
	if err := callEndpoint(t.Context(), c, "search", "other-key"); tr.From(err).Code != tr.PermissionDenied {
		t.Errorf("wrong key: got %v, want permission denied", err)
	}
	for _, r := range srv.Requests() {
		if !r.KeyPresent {
			t.Errorf("%s %s: API-Key header missing", r.Method, r.Path)
		}
		if strings.Contains(r.Path+r.Query+r.Body, testKey) {
			t.Errorf("%s %s: key outside the header", r.Method, r.Path)
		}
		if r.UserAgent != "urlscan-relay/test" || r.Accept != "application/json" {
			t.Errorf("%s %s: got User-Agent %q Accept %q", r.Method, r.Path, r.UserAgent, r.Accept)
		}
	}
}

func TestKeyID(t *testing.T) {
	a, b := KeyID(testKey), KeyID(testKey+"x")
	if len(a) != 16 || a == b || a != KeyID(testKey) {
		t.Errorf("got %q and %q, want 16 stable hex digits that differ per key", a, b)
	}
	if strings.Contains(a, testKey[:8]) {
		t.Errorf("KeyID %q shows part of the key", a)
	}
}

func TestValidScanID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"13cde17f-a7f5-4e27-8a56-5e81bc086a37", true},
		{"ABCdef012", true},
		{"", false},
		{"..", false},
		{"../../search", false},
		{"a/b", false},
		{"%2e%2e", false},
		{"id?q=1", false},
		{"id#x", false},
		{"a b", false},
		{"é", false},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
	}
	for _, tc := range tests {
		if got := ValidScanID(tc.id); got != tc.want {
			t.Errorf("ValidScanID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestResultRefusesHostileID(t *testing.T) {
	srv := newServer(t, urlscantest.Options{})
	c := newClient(t, srv.URL, nil)
	for _, id := range []string{"../search", "x/../../scan", "%2F", "a?b", ""} {
		if _, err := c.Result(t.Context(), testKey, id); tr.From(err).Code != tr.Unknown {
			t.Errorf("Result(%q): got %v, want unknown", id, err)
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("got %d requests, want none", got)
	}
}
