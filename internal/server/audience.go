package server

import (
	"net/http"
	"strconv"
	"strings"

	"urlscan-relay/internal/tr"
)

// audiences returns the `aud` values a token may carry for this request:
// RELAY_AUDIENCE when set, else the request's own scheme://host (from
// X-Forwarded-Proto and -Host only when TRUST_PROXY_HEADERS is on) followed
// by BASE_PATH: the URL the module type names. Each is accepted with or
// without a trailing slash.
func (s *server) audiences(r *http.Request) []string {
	roots := s.Config.RelayAudience
	if len(roots) == 0 {
		roots = []string{s.derivedAudience(r)}
	}
	out := make([]string, 0, 2*len(roots))
	for _, a := range roots {
		a = strings.TrimSuffix(a, "/")
		out = append(out, a, a+"/")
	}
	return out
}

// derivedAudience is the relay's URL as this request reached it.
func (s *server) derivedAudience(r *http.Request) string {
	return s.requestRoot(r) + s.Config.BasePath
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

// maxAudienceEcho bounds the derived audience an error repeats: it comes
// from the request's Host.
const maxAudienceEcho = 256

// derivedAudienceError adds to a wrong-audience refusal the URL the relay
// derived and what to do about it: behind a proxy that terminates TLS, the
// derived URL is http:// while XDR's token names https://.
func derivedAudienceError(te *tr.Error, derived string) *tr.Error {
	if len(derived) > maxAudienceEcho {
		derived = strings.ToValidUTF8(derived[:maxAudienceEcho], "") + "…"
	}
	msg := te.Message + ". The relay expected " + strconv.Quote(derived) +
		", derived from the request; set RELAY_AUDIENCE to the module type's url"
	if strings.HasPrefix(derived, "http://") {
		msg += " (behind a proxy that terminates TLS the derived URL starts with http://)"
	}
	return tr.New(te.Code, msg+".")
}

// firstValue is the first of a comma-separated header's values: the one the
// client-facing proxy set.
func firstValue(h string) string {
	first, _, _ := strings.Cut(h, ",")
	return strings.ToLower(strings.TrimSpace(first))
}
