package relay

import (
	"slices"
	"testing"

	"urlscan-relay/internal/ctim"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []ctim.Observable
		want []ctim.Observable
	}{
		{"nil", nil, []ctim.Observable{}},
		{
			"types lower-cased, unsupported dropped, order kept",
			[]ctim.Observable{ob("SHA256", "AB"), ob("md5", "x"), ob("Hostname", "h"), ob("email", "a@b"), ob("iPv6", "::1"), ob("url", "u"), ob("domain", "d"), ob("ip", "1")},
			[]ctim.Observable{ob("sha256", "AB"), ob("hostname", "h"), ob("ipv6", "::1"), ob("url", "u"), ob("domain", "d"), ob("ip", "1")},
		},
		{
			"duplicates after lower-casing the type dropped; values compared as they are",
			[]ctim.Observable{ob("ip", "1.1.1.1"), ob("IP", "1.1.1.1"), ob("domain", "A.example"), ob("domain", "a.example"), ob("ip", "1.1.1.1")},
			[]ctim.Observable{ob("ip", "1.1.1.1"), ob("domain", "A.example"), ob("domain", "a.example")},
		},
		{"same value, other type kept", []ctim.Observable{ob("domain", "x"), ob("hostname", "x")}, []ctim.Observable{ob("domain", "x"), ob("hostname", "x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Normalize(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// Normalize keeps an observable exactly when the relay looks up its type,
// matched case-insensitively and otherwise as it is.
func TestNormalizeKeepsSupportedTypes(t *testing.T) {
	for typ, want := range map[string]bool{
		"ip": true, "IPv6": true, "domain": true, "URL": true, "hostname": true, "sha256": true,
		"md5": false, "sha1": false, "email": false, "": false, " ip": false,
	} {
		if got := len(Normalize([]ctim.Observable{ob(typ, "v")})) == 1; got != want {
			t.Errorf("Normalize keeps type %q: %v, want %v", typ, got, want)
		}
	}
}

func ob(typ, value string) ctim.Observable { return ctim.Observable{Type: typ, Value: value} }
