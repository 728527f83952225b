package relay

import (
	"strings"
	"testing"
)

func TestSearchQuery(t *testing.T) {
	for _, tc := range []struct {
		typ, value, want string
	}{
		{"ip", "1.1.1.1", `page.ip:"1.1.1.1"`},
		{"IPv6", "2606:4700::1", `page.ip:"2606:4700::1"`},
		{"domain", "example.com", `page.domain:"example.com"`},
		{"hostname", "www.example.com", `page.domain:"www.example.com"`},
		// The exact-match field: page.url is analysed text, and a phrase on
		// it finds every URL that contains the value.
		{"url", "https://example.com/a", `page.url.keyword:"https://example.com/a"`},
		{"URL", `http://x/"a\b"`, `page.url.keyword:"http://x/\"a\\b\""`},
		{"sha256", "ab12", `hash:"ab12"`},
	} {
		got, err := SearchQuery(tc.typ, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("SearchQuery(%q, %q) = %q, %v; want %q", tc.typ, tc.value, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"email", "a@b"}, {"url", ""}} {
		if q, err := SearchQuery(bad[0], bad[1]); err == nil {
			t.Errorf("SearchQuery(%q, %q) = %q, want an error", bad[0], bad[1], q)
		}
	}
}

func FuzzSearchQuery(f *testing.F) {
	for _, s := range [][2]string{{"ip", "1.1.1.1"}, {"IPv6", "2606:4700::1"}, {"domain", "example.com"}, {"hostname", "a.b"}, {"url", `http://x/"a\b"`}, {"sha256", "ab"}, {"email", "a@b"}, {"url", ""}} {
		f.Add(s[0], s[1])
	}
	prefixes := map[string]string{"ip": "page.ip", "ipv6": "page.ip", "domain": "page.domain", "hostname": "page.domain", "url": "page.url.keyword", "sha256": "hash"}
	f.Fuzz(func(t *testing.T, typ, value string) {
		q, err := SearchQuery(typ, value)
		prefix, supported := prefixes[strings.ToLower(typ)]
		if !supported || value == "" {
			if err == nil {
				t.Fatalf("SearchQuery(%q, %q) = %q, want an error", typ, value, q)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		inner, ok := strings.CutPrefix(q, prefix+`:"`)
		if !ok || !strings.HasSuffix(inner, `"`) {
			t.Fatalf("got %q, want %s:\"…\"", q, prefix)
		}
		inner = inner[:len(inner)-1]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			switch inner[i] {
			case '\\':
				i++
				if i == len(inner) || (inner[i] != '\\' && inner[i] != '"') {
					t.Fatalf("got %q: a lone backslash", q)
				}
			case '"':
				t.Fatalf("got %q: an unescaped quote", q)
			}
			b.WriteByte(inner[i])
		}
		if b.String() != value {
			t.Fatalf("got %q, which reads back as %q, want %q", q, b.String(), value)
		}
	})
}
