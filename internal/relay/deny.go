package relay

import (
	"fmt"
	"net/url"
	"strings"

	"urlscan-relay/internal/tr"
)

// denyList holds the domains never submitted for scanning (SCAN_DENY), in
// lower case without a trailing dot. A domain denies itself and every
// subdomain.
type denyList []string

// match returns the entry that denies host, if any.
func (d denyList) match(host string) (string, bool) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, dom := range d {
		if host == dom || strings.HasSuffix(host, "."+dom) {
			return dom, true
		}
	}
	return "", false
}

// observableHost is the host a scan of an observable would visit: a
// domain or hostname itself, a URL's host; "" when there is none.
func observableHost(typ, value string) string {
	if scanAs(typ) != scanAsURL {
		return value
	}
	u, err := url.Parse(value)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// deniedError is the refusal of a scan of an observable SCAN_DENY covers.
func deniedError(typ, value, domain string) error {
	return tr.New(tr.InvalidArgument, fmt.Sprintf(
		"Cannot scan %s %q: %s is on the relay's deny list (SCAN_DENY), so it is never submitted to urlscan.io.", typ, value, domain))
}
