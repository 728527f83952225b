package server

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
)

// TestJWKSHostTricksFetchNothing: a token naming a jwks_host that is not
// exactly an allowed one, however it is dressed up, is refused before any
// request leaves the relay (the original fetched keys from any host: SSRF).
// Both the verifier's transport and the issuer's JWKS server count
// requests: the first sees every attempt, the second proves the count is
// of requests that would have been answered.
func TestJWKSHostTricksFetchNothing(t *testing.T) {
	iss := authtest.Start(t)
	const named = "visibility.amp.cisco.com"
	s := newWatchedStack(t, iss, func(c *config.Config) { c.JWKSHosts = []string{iss.Host(), named} })
	allowed := iss.Host() // 127.0.0.1:port
	_, port, err := net.SplitHostPort(allowed)
	if err != nil {
		t.Fatal(err)
	}
	tricks := []string{
		// userinfo
		"user@" + allowed, "evil.example@" + allowed, allowed + "@evil.example", "user:pass@" + named,
		// fragments, queries and paths
		allowed + "#", allowed + "#x", "evil.example#" + allowed, allowed + "?x=1",
		allowed + "/", allowed + "/.well-known/jwks", "evil.example/" + allowed, allowed + `\@evil.example`,
		// trailing dots and suffixes on other hosts
		"evil.example.", named + ".evil.example", named + "..", named + ".evil.example.", "." + named,
		// case and look-alike tricks that fold to an allowed name elsewhere
		"VISIBILITY.AMP.CISCO.COM.evil.example", "viſibility.amp.cisco.com", "visıbility.amp.cisco.com",
		"ｖisibility.amp.cisco.com", "visibility.amp.cisco.com\u200b", "visibility%2eamp.cisco.com",
		// other spellings of the allowed address, and other loopback ones
		"127.1:" + port, "2130706433:" + port, "0x7f.0.0.1:" + port, "0177.0.0.1:" + port, "127.0.0.2:" + port,
		"[::1]:" + port, "[::ffff:127.0.0.1]:" + port, "[0:0:0:0:0:0:0:1]:" + port, "127.0.0.1", "127.0.0.1:0" + port,
		// localhost
		"localhost:" + port, "LOCALHOST:" + port, "localhost.:" + port, "localhost",
		// CR, LF, spaces and other controls
		allowed + "\r\n", allowed + "\nHost: evil.example", "\r\n" + allowed, " " + allowed, allowed + " ",
		allowed + "\t", allowed + "\x00", "127.0.0.1\r\n:" + port,
		// nothing
		"", ".", ":" + port,
	}
	const wrongHost = "Authorization failed: Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"
	for _, host := range tricks {
		t.Run(strings.ToValidUTF8(host, "?"), func(t *testing.T) {
			tok := s.token(map[string]any{"jwks_host": host})
			raw, _ := s.post(t, "/observe/observables", "Bearer "+tok, `[{"type":"ip","value":"1.1.1.1"}]`)
			var got map[string]any
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			if code, msg := firstError(t, got); code != "authorization error" || msg != wrongHost {
				t.Errorf("jwks_host %q: got error %q %q, want the wrong jwks_host error", host, code, msg)
			}
			s.assertNoSecrets(t, testKey, tok, raw)
		})
	}
	if hosts := s.jwks.Requested(); len(hosts) != 0 || iss.Fetches() != 0 {
		t.Errorf("tricked jwks_host values made JWKS requests to %q (%d answered), want none", hosts, iss.Fetches())
	}
	if n := s.upstreamCalls(); n != 0 {
		t.Errorf("refused tokens made %d urlscan.io calls, want 0", n)
	}

	// The counter counts: the allowed host itself is fetched, once.
	raw, _ := s.post(t, "/observe/observables", "Bearer "+s.token(nil), `[{"type":"ip","value":"1.1.1.1"}]`)
	if hosts := s.jwks.Requested(); strings.Contains(raw, `"errors"`) || len(hosts) != 1 || iss.Fetches() != 1 {
		t.Errorf("allowed host: JWKS requests to %q (%d answered), answer %.300s; want one, and no error", hosts, iss.Fetches(), raw)
	}
}
