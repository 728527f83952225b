package server

import (
	"net/http"
	"strings"
)

// audiences returns the `aud` values a token may carry for this request:
// RELAY_AUDIENCE when set, else the request's own scheme://host (from
// X-Forwarded-Proto and -Host only when TRUST_PROXY_HEADERS is on). Each is
// accepted with or without a trailing slash.
func (s *server) audiences(r *http.Request) []string {
	roots := s.Config.RelayAudience
	if len(roots) == 0 {
		roots = []string{s.requestRoot(r)}
	}
	out := make([]string, 0, 2*len(roots))
	for _, a := range roots {
		a = strings.TrimSuffix(a, "/")
		out = append(out, a, a+"/")
	}
	return out
}

func (s *server) requestRoot(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.Config.TrustProxyHeaders {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	return scheme + "://" + strings.ToLower(host)
}

// firstValue is the first of a comma-separated header's values: the one the
// client-facing proxy set.
func firstValue(h string) string {
	first, _, _ := strings.Cut(h, ",")
	return strings.ToLower(strings.TrimSpace(first))
}
