package urlscan

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Search runs query (see SearchQuery) and returns at most size hits, newest
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

// SearchQuery returns the urlscan query for an observable (PROTOCOL.md §4):
// page.ip for ip and ipv6, page.domain for domain and hostname,
// page.url.keyword for url, hash for sha256, the value quoted with `"` and
// `\` escaped. A url is matched exactly: page.url is analysed text, and a
// phrase query on it also finds every other URL that contains the value. Types are
// matched case-insensitively; an unsupported type or an empty value is an
// error.
func SearchQuery(observableType, value string) (string, error) {
	var field string
	switch strings.ToLower(observableType) {
	case "ip", "ipv6":
		field = "page.ip"
	case "domain", "hostname":
		field = "page.domain"
	case "url":
		field = "page.url.keyword"
	case "sha256":
		field = "hash"
	default:
		return "", fmt.Errorf("urlscan: observable type %q is not supported", observableType)
	}
	if value == "" {
		return "", fmt.Errorf("urlscan: empty %s value", strings.ToLower(observableType))
	}
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
	return b.String(), nil
}
