package urlscan

import "testing"

func TestPhraseQuery(t *testing.T) {
	for _, tc := range []struct {
		field, value, want string
	}{
		{"page.domain", "example.com", `page.domain:"example.com"`},
		{"page.url.keyword", `http://x/"a\b"`, `page.url.keyword:"http://x/\"a\\b\""`},
		{"hash", `\`, `hash:"\\"`},
		{"page.ip", "", `page.ip:""`},
	} {
		if got := PhraseQuery(tc.field, tc.value); got != tc.want {
			t.Errorf("PhraseQuery(%q, %q) = %q, want %q", tc.field, tc.value, got, tc.want)
		}
	}
}
