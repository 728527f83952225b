package auth

import (
	"context"
	"strings"
	"testing"

	"urlscan-relay/internal/auth/authtest"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means refused
	}{
		{"visibility.amp.cisco.com", "visibility.amp.cisco.com"},
		{"Visibility.AMP.Cisco.COM", "visibility.amp.cisco.com"},
		{"visibility.amp.cisco.com.", "visibility.amp.cisco.com"},
		{"visibility.amp.cisco.com.:443", "visibility.amp.cisco.com:443"},
		{"visibility.amp.cisco.com:8443", "visibility.amp.cisco.com:8443"},
		{"127.0.0.1:8443", "127.0.0.1:8443"},
		{"127.0.0.1", "127.0.0.1"},
		{"localhost", "localhost"},
		{"jwks_server:8080", "jwks_server:8080"},
		{"[::1]:443", "[::1]:443"},
		{"[0:0::1]", "[::1]"},

		{"", ""},
		{".", ""},
		{"visibility.amp.cisco.com..", ""},
		{".visibility.amp.cisco.com", ""},
		{"a..b.com", ""},
		{"user@visibility.amp.cisco.com", ""},
		{"visibility.amp.cisco.com@evil.com", ""},
		{"evil.com/visibility.amp.cisco.com", ""},
		{"visibility.amp.cisco.com/", ""},
		{"evil.com?visibility.amp.cisco.com", ""},
		{"evil.com#visibility.amp.cisco.com", ""},
		{"evil.com\\visibility.amp.cisco.com", ""},
		{"visibility.amp.cisco.com ", ""},
		{" visibility.amp.cisco.com", ""},
		{"visibility.amp.cisco.com\r\nHost: evil.com", ""},
		{"visibility.amp.cisco.com\n", ""},
		{"visibility.amp.cisco.com\x00", ""},
		{"visibility.amp.cisco.com\t", ""},
		{"visibility%2eamp.cisco.com", ""},
		{"evil.com%00.visibility.amp.cisco.com", ""},
		{"visibility.amp.cisco.com:", ""},
		{"visibility.amp.cisco.com:0", ""},
		{"visibility.amp.cisco.com:0443", ""},
		{"visibility.amp.cisco.com:65536", ""},
		{"visibility.amp.cisco.com:+443", ""},
		{"visibility.amp.cisco.com:https", ""},
		{"visibility.amp.cisco.com:443:443", ""},
		{"::1", ""},
		{"[::1", ""},
		{"[::1]x", ""},
		{"[::1]:", ""},
		{"[127.0.0.1]", ""},
		{"[fe80::1%25eth0]", ""},
		{"127.1", ""},
		{"2130706433", ""},
		{"0x7f.1", ""},
		{"127.0.0.01", ""},
		{"visibility.amp.cisco.com\u3002", ""},
		{"vısıbılıty.amp.cisco.com", ""},
		{"visibility.amp.cisco.\u212Aom", ""},
		{strings.Repeat("a", 63) + "." + strings.Repeat("b", 64) + ".com", ""},
		{strings.Repeat("abcdefghi.", 26) + "com", ""},
		{strings.Repeat("a.", 300) + "com", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeHost(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeHost(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeHost(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewRefusesBadAllowedHosts(t *testing.T) {
	for _, hosts := range [][]string{
		nil,
		{},
		{"visibility.amp.cisco.com", "https://visibility.eu.amp.cisco.com"},
		{"visibility.amp.cisco.com/"},
		{"a@b"},
		{""},
	} {
		if _, err := New(Options{AllowedHosts: hosts}); err == nil {
			t.Errorf("New(AllowedHosts: %q) accepted them", hosts)
		}
	}
	v, err := New(Options{AllowedHosts: []string{" Visibility.AMP.cisco.com. ", "127.0.0.1:8443"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, want := range []string{"visibility.amp.cisco.com", "127.0.0.1:8443"} {
		if !v.allowed[want] {
			t.Errorf("allowed hosts %v lack %q", v.allowed, want)
		}
	}
}

// TestVerifyJWKSHostAllowList sends tokens whose jwks_host differs from
// the allowed ones in every way that matters: refused ones must cause no
// request at all, accepted spellings must fetch the allowed host.
func TestVerifyJWKSHostAllowList(t *testing.T) {
	iss := authtest.Start(t)
	_, port, _ := strings.Cut(iss.Host(), ":")
	tests := []struct {
		host string
		ok   bool
	}{
		{"jwks.example.com:" + port, true},
		{"JWKS.Example.COM:" + port, true},
		{"jwks.example.com.:" + port, true},
		{"Jwks.Example.Com.:" + port, true},

		{"jwks.example.com", false},
		{"jwks.example.com:443", false},
		{"jwks.example.com:1" + port, false},
		{"jwks.example.com..:" + port, false},
		{"other.example.com:" + port, false},
		{"example.com:" + port, false},
		{"jwks.example.com.evil.com:" + port, false},
		{"evil@jwks.example.com:" + port, false},
		{"jwks.example.com:" + port + "@evil.example.com", false},
		{"jwks.example.com:" + port + "/x", false},
		{"jwks.example.com:" + port + "#x", false},
		{"jwks.example.com:" + port + "?x", false},
		{"jwks.example.com:" + port + "\r\n", false},
		{"jwks.example.com:" + port + "\\", false},
		{"jwks%2eexample.com:" + port, false},
		{"jwks.example.com%3a" + port, false},
		{iss.Host(), false},
		{"127.0.0.1", false},
		{"[::1]:" + port, false},
		{"localhost:" + port, false},
		{"localhost", false},
		{"169.254.169.254", false},
		{strings.Repeat("a", 250) + ".jwks.example.com:" + port, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			// A Verifier per case, so that each accepted one fetches.
			f := newFixtureFor(t, iss, routedClient(iss), "jwks.example.com:"+port)
			token := iss.Token(with(goodClaims(), "jwks_host", tt.host))
			_, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience})
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got := f.outbound.Count(); got != 1 {
					t.Errorf("outbound requests = %d, want 1", got)
				}
				return
			}
			wantAuthError(t, err, msgWrongHost)
			if got := f.outbound.Count(); got != 0 {
				t.Errorf("outbound requests = %d, want 0", got)
			}
		})
	}
}

// TestVerifyAllowsWhatTheOperatorListed shows that addresses and
// localhost are not refused as such: only by not being listed.
func TestVerifyAllowsWhatTheOperatorListed(t *testing.T) {
	iss := authtest.Start(t)
	_, port, _ := strings.Cut(iss.Host(), ":")
	// The test certificate names 127.0.0.1 and ::1 but not localhost.
	for _, host := range []string{iss.Host(), "[::1]:" + port} {
		t.Run(host, func(t *testing.T) {
			f := newFixtureFor(t, iss, routedClient(iss), host)
			token := iss.Token(with(goodClaims(), "jwks_host", host))
			if _, err := f.v.Verify(context.Background(), bearer(token), []string{testAudience}); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}
