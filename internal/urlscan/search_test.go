package urlscan

import "testing"

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
