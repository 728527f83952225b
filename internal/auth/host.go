package auth

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

const (
	maxHostLen = 253 // longest DNS name
	maxPortLen = len(":65535")
)

// NormalizeHost returns the canonical form of a jwks_host claim or a
// JWKS_HOSTS entry: ASCII lower-case, one trailing dot removed, host[:port]
// where host is a DNS name, a dotted IPv4 address or a bracketed IPv6
// address. It refuses everything else, in particular whatever could make
// "https://" + host reach another host than the one compared: userinfo,
// paths, queries, fragments, backslashes, percent escapes, whitespace and
// control characters, empty hosts, bad ports, and numeric forms such as
// "127.1" that resolvers may read as addresses.
func NormalizeHost(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty host")
	}
	if len(raw) > maxHostLen+maxPortLen {
		return "", errors.New("host too long")
	}
	b := []byte(raw)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-', c == '_', c == ':', c == '[', c == ']':
		case 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		default:
			// '@', '/', '?', '#', '\\', '%', spaces, controls and
			// anything outside ASCII end up here.
			return "", errors.New("character not allowed in a host")
		}
	}
	host, port, err := splitHostPort(string(b))
	if err != nil {
		return "", err
	}
	if port != "" {
		if err := checkPort(port); err != nil {
			return "", err
		}
		return host + ":" + port, nil
	}
	return host, nil
}

// splitHostPort separates a lower-case host[:port] and canonicalises the
// host part.
func splitHostPort(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("unclosed bracket")
		}
		rest := s[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", "", errors.New("junk after bracketed address")
			}
			if p == "" {
				return "", "", errors.New("empty port")
			}
			port = p
		}
		addr, err := netip.ParseAddr(s[1:end])
		if err != nil || !addr.Is6() {
			return "", "", errors.New("bad IPv6 address")
		}
		return "[" + addr.String() + "]", port, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		host = s
	case 1:
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return "", "", errors.New("empty port")
		}
	default:
		return "", "", errors.New("IPv6 address without brackets")
	}
	host = strings.TrimSuffix(host, ".")
	if err := checkName(host); err != nil {
		return "", "", err
	}
	return host, port, nil
}

// checkName accepts a dotted IPv4 address or a DNS name whose last label
// starts with a letter, which rules out every numeric or hex spelling of
// an address ("127.1", "2130706433", "0x7f.1").
func checkName(host string) error {
	if host == "" {
		return errors.New("empty host")
	}
	if len(host) > maxHostLen {
		return errors.New("host too long")
	}
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is4() {
		return nil
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return errors.New("bad DNS label")
		}
		if strings.ContainsAny(l, "[]") {
			return errors.New("bracket in a DNS name")
		}
	}
	if last := labels[len(labels)-1]; last[0] < 'a' || last[0] > 'z' {
		return errors.New("last label must start with a letter")
	}
	return nil
}

// checkPort accepts 1..65535 written without sign or leading zero, so that
// each port has exactly one spelling.
func checkPort(p string) error {
	if len(p) > 5 || p[0] == '0' {
		return errors.New("bad port")
	}
	for _, c := range []byte(p) {
		if c < '0' || c > '9' {
			return errors.New("bad port")
		}
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("bad port")
	}
	return nil
}
