package urlscan

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Search runs query (see PhraseQuery) and returns at most size hits, newest
// first by task time. A size of 0 or less asks urlscan for its default
// number of hits and keeps them all.
func (c *Client) Search(ctx context.Context, apiKey, query string, size int) ([]Hit, error) {
	v := url.Values{"q": {query}}
	if size > 0 {
		v.Set("size", strconv.Itoa(size))
	}
	var hits []Hit
	// The answer is capped by the hits asked for (searchLimit), not only by
	// the document limit: a 30 MiB answer to a search of 100 hits is hostile.
	err := c.do(ctx, apiKey, request{endpoint: endpointSearch, method: http.MethodGet, url: c.base + "/search/?" + v.Encode(), idempotent: true, maxBytes: searchLimit(size, c.maxDoc)},
		func(doc []byte) error {
			var err error
			hits, err = decodeSearch(doc, size)
			return err
		})
	if err != nil {
		return nil, err
	}
	return hits, nil
}

// PhraseQuery returns the urlscan.io query that matches value as a phrase
// in field, e.g. page.domain:"example.com": the value quoted with `"`, and
// `"` and `\` escaped, so that nothing in it reads as query syntax.
func PhraseQuery(field, value string) string {
	var b strings.Builder
	b.Grow(len(field) + len(value) + 4)
	b.WriteString(field)
	b.WriteString(`:"`)
	for i := 0; i < len(value); i++ {
		if value[i] == '"' || value[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
	return b.String()
}
