package relay

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"urlscan-relay/internal/tr"
)

// /respond/trigger refuses what a scan must not visit: credentials it
// would publish, hosts that are not hosts, and (unless SCAN_ALLOW_PRIVATE)
// the relay's or urlscan.io's own networks.
func TestTriggerRefusesUnsafeTargets(t *testing.T) {
	tests := []struct {
		typ, value string
		why        string // "" when the scan is submitted
		private    bool   // refused for being local or private: SCAN_ALLOW_PRIVATE lets it
	}{
		{"url", "https://example.com/login?x=1", "", false},
		{"url", "http://93.184.215.14:8080/", "", false},
		{"url", "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/", "", false},
		{"url", "https://xn--80ak6aa92e.com/", "", false},
		{"url", "https://bücher.example/", "", false},
		{"url", "https://_dmarc.example.com/", "", false},
		{"domain", "example.com", "", false},
		{"hostname", "www.example.com.", "", false},

		{"url", "http://user:pass@example.com/", "credentials", false},
		{"url", "http://user@example.com/", "credentials", false},
		{"url", "http://:@example.com/", "credentials", false},
		{"url", "http://" + strings.Repeat("a", 100<<10) + ".com/", "neither a valid DNS name", false},
		{"domain", strings.Repeat("a", 64) + ".com", "neither a valid DNS name", false},
		{"url", "http://a..b.com/", "neither a valid DNS name", false},
		{"url", "http://-a.com/", "neither a valid DNS name", false},
		{"url", "http://a%21b.com/", "Cannot scan", false},
		{"url", "http://2130706433/", "neither a valid DNS name", false},
		{"url", "http://0x7f.1/", "neither a valid DNS name", false},
		{"url", "http://127.1/", "neither a valid DNS name", false},
		{"url", "http://example.123/", "neither a valid DNS name", false},

		{"url", "http://127.0.0.1/", "loopback", true},
		{"url", "http://127.0.0.1.:8080/admin", "loopback", true},
		{"url", "http://[::1]/", "loopback", true},
		{"url", "http://[::ffff:127.0.0.1]/", "loopback", true},
		{"url", "http://169.254.169.254/latest/meta-data/", "link-local", true},
		{"url", "http://[fe80::1%25eth0]/", "link-local", true},
		{"url", "http://10.0.0.1/", "private", true},
		{"url", "http://172.16.5.4/", "private", true},
		{"url", "http://192.168.1.1/", "private", true},
		{"url", "http://[fd00::1]/", "private", true},
		{"url", "http://100.64.0.1/", "not a public address", true},
		{"url", "http://0.0.0.0/", "not a public address", true},
		{"url", "http://[::]/", "not a public address", true},
		{"url", "http://255.255.255.255/", "not a public address", true},
		{"url", "http://239.1.1.1/", "not a public address", true},
		{"url", "http://[64:ff9b::a9fe:a9fe]/", "link-local", true},
		{"url", "http://localhost:9090/metrics", "local or private network", true},
		{"url", "http://api.LOCALHOST/", "local or private network", true},
		{"domain", "printer.local", "local or private network", true},
		{"hostname", "db.internal", "local or private network", true},
		{"hostname", "nas.home.arpa", "local or private network", true},
		{"domain", "10.0.0.1", "private", true},
	}
	for _, allow := range []bool{false, true} {
		for _, tt := range tests {
			f := newFake()
			s := New(f, Config{Visibilities: []string{"private"}, AllowPrivate: allow})
			err := s.Trigger(context.Background(), "k", Trigger{"urlscan-scan-private", tt.typ, tt.value, "private"})
			name := tt.typ + " " + tt.value
			if len(name) > 80 {
				name = name[:80] + "…"
			}
			if tt.why == "" || (allow && tt.private) {
				if err != nil || len(f.scans) != 1 {
					t.Errorf("SCAN_ALLOW_PRIVATE=%v, %s: %v, %d scans; want it submitted", allow, name, err, len(f.scans))
				}
				continue
			}
			if err == nil {
				t.Errorf("SCAN_ALLOW_PRIVATE=%v, %s: submitted; want invalid argument saying %q", allow, name, tt.why)
				continue
			}
			te := tr.From(err)
			if te.Code != tr.InvalidArgument || !strings.Contains(te.Message, tt.why) {
				t.Errorf("SCAN_ALLOW_PRIVATE=%v, %s: %v; want invalid argument saying %q", allow, name, err, tt.why)
			}
			if strings.Contains(te.Message, "pass@") || len(te.Message) > 200 {
				t.Errorf("%s: the message %.100q echoes the value", name, te.Message)
			}
			if len(f.scans) != 0 {
				t.Errorf("%s: refused, but submitted %v", name, f.scans)
			}
		}
	}
}

// FuzzScanURL: any url observable is refused or turned into a target with
// no credentials and a host of DNS length; SCAN_ALLOW_PRIVATE only ever
// lets more through.
func FuzzScanURL(f *testing.F) {
	for _, seed := range []string{"http://user:pass@example.com/", "http://[::ffff:127.0.0.1]/", "https://bücher.example/", "http://0x7f.1/", "http://[64:ff9b::a9fe:a9fe]/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		strict, err := scanURL("url", value)
		if err != nil {
			return
		}
		errStrict := scanTargetError("url", strict, false)
		errLax := scanTargetError("url", strict, true)
		if errStrict == nil && errLax != nil {
			t.Fatalf("%q: allowed strictly, refused with SCAN_ALLOW_PRIVATE: %v", value, errLax)
		}
		if errStrict != nil {
			return
		}
		u, err := url.Parse(strict)
		if err != nil || u.User != nil || len(u.Hostname()) > 253+1 {
			t.Fatalf("%q: submitted %q", value, strict)
		}
	})
}
