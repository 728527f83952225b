package relay

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"

	"urlscan-relay/internal/tr"
)

// scanTargetError refuses, with an invalid argument, a target URL (as
// scanURL made it for an observable of type typ) that checkScanTarget does
// not let through.
func scanTargetError(typ, target string, allowPrivate bool) error {
	u, err := url.Parse(target)
	if err != nil {
		return tr.New(tr.InvalidArgument, fmt.Sprintf("Cannot scan this %s: not a URL.", typ))
	}
	// Not quoted: the value may hold credentials, or be 100 KB long.
	if why := checkScanTarget(u, allowPrivate); why != "" {
		return tr.New(tr.InvalidArgument, fmt.Sprintf("Cannot scan this %s: %s.", typ, why))
	}
	return nil
}

// checkScanTarget says why urlscan.io must not be sent to u, or "" when it
// may. A scan publishes what it visits (a public one to everyone), and the
// scanner is a browser on urlscan.io's network, so the relay refuses:
//   - credentials in the URL (user:password@), which the scan would publish;
//   - a host that is neither a valid DNS name nor an IP literal, such as a
//     100 KB name or a number a browser reads as an IPv4 address
//     (http://2130706433/ is 127.0.0.1);
//   - unless allowPrivate (SCAN_ALLOW_PRIVATE): loopback, link-local,
//     private and other non-public addresses, and the names reserved for
//     such networks (localhost, .local, .internal, .home.arpa).
//
// A public name that resolves to a private address is not caught: names
// are resolved by urlscan.io, not by the relay.
func checkScanTarget(u *url.URL, allowPrivate bool) string {
	if u.User != nil {
		return "the URL carries credentials (user:password@), which a scan would publish"
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		addr, err := netip.ParseAddr(host)
		if err != nil || !addr.Is6() {
			return "the host is not a valid IP address"
		}
		return checkScanAddr(addr, allowPrivate)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return checkScanAddr(addr, allowPrivate)
	}
	if !validDNSName(name) {
		return "the host is neither a valid DNS name nor an IP address"
	}
	if !allowPrivate && reservedName(name) {
		return "the host names a local or private network"
	}
	return ""
}

// checkScanAddr says why an IP address must not be scanned, or "".
func checkScanAddr(addr netip.Addr, allowPrivate bool) string {
	if allowPrivate {
		return ""
	}
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case addr.IsLoopback():
		return "the host is a loopback address"
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		return "the host is a link-local address"
	case addr.IsPrivate():
		return "the host is a private address"
	case !addr.IsGlobalUnicast() || inAny(addr, nonPublic):
		return "the host is not a public address"
	case nat64.Contains(addr):
		// 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d.
		return checkScanAddr(netip.AddrFrom4([4]byte(addr.AsSlice()[12:])), false)
	}
	return ""
}

// nonPublic are the global-unicast-looking ranges that no public site
// lives in.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("fec0::/10"),     // the former site-local
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func inAny(addr netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// validDNSName reports whether name (lower case, without a trailing dot)
// is a host name: at most 253 bytes of dot-separated labels of 1 to 63
// letters, digits and inner hyphens (internationalised names in their
// xn-- form, as urlscan.io takes them, or as UTF-8 letters), whose last
// label is not a number: browsers read a numeric last label as an IPv4
// address in another notation.
func validDNSName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r >= 0x80 && unicode.In(r, unicode.L, unicode.M, unicode.N)) {
				return false
			}
		}
	}
	return !numericLabel(labels[len(labels)-1])
}

// numericLabel reports whether a label reads as a number in the IPv4
// notations browsers accept: decimal, octal (leading 0) or hex (0x).
func numericLabel(l string) bool {
	if hex, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// reservedName reports whether name is or lies under a name reserved for
// loopback or for local and private networks (RFC 6761, 6762, 8375, and
// ICANN's .internal).
func reservedName(name string) bool {
	for _, r := range []string{"localhost", "local", "internal", "home.arpa", "localdomain"} {
		if name == r || strings.HasSuffix(name, "."+r) {
			return true
		}
	}
	return false
}
