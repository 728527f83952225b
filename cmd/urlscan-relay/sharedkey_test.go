package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"urlscan-relay/internal/auth/authtest"
)

// TestSharedKeyEndToEnd runs the relay with CONFIGURATION_TOKEN_KEY: an
// HS256 token signed with it is served, one signed with another key is
// refused, and RS256 tokens through JWKS_HOSTS still work.
func TestSharedKeyEndToEnd(t *testing.T) {
	const (
		apiKey = "hs256-e2e-key-Zq81"
		secret = "an XDR module-type key: 32+ bytes, spaces too"
	)
	f := newFixture(t, apiKey)
	base, logs, stop := startRelay(t, f.env(map[string]string{"CONFIGURATION_TOKEN_KEY": secret}))
	hs := authtest.SharedToken([]byte(secret), map[string]any{"key": apiKey, "aud": audience})
	other := authtest.SharedToken([]byte(strings.ToUpper(secret)), map[string]any{"key": apiKey, "aud": audience})
	for _, tc := range []struct {
		name, token, want string
	}{
		{"HS256 with the shared key", hs, `"sightings"`},
		{"RS256 through JWKS_HOSTS", f.token, `"sightings"`},
		{"HS256 with another key", other, "Failed to decode JWT with provided key"},
	} {
		a := f.send(t, http.MethodPost, base+"/observe/observables", tc.token, observables("1.1.1.1"), nil)
		if !strings.Contains(string(a.body), tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.name, a.status, a.body, tc.want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the log holds the shared key")
	}
}

func TestShortSharedKeyRefusedAtStart(t *testing.T) {
	const short = "only-31-bytes-of-shared-key-xyz"
	env := map[string]string{"PORT": "0", "CONFIGURATION_TOKEN_KEY": short}
	err := run(context.Background(), []string{"urlscan-relay", "serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CONFIGURATION_TOKEN_KEY") || strings.Contains(err.Error(), short) {
		t.Errorf("run with a %d-byte key = %v, want a refusal naming CONFIGURATION_TOKEN_KEY, not the key", len(short), err)
	}
}
