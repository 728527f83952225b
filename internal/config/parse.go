package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parser reads variables one by one and keeps the first error, so Load
// reads as a list of variables rather than a ladder of checks.
type parser struct {
	getenv func(string) string
	err    error
}

// value returns the trimmed variable and whether it is set at all.
func (p *parser) value(name string) (string, bool) {
	if p.err != nil {
		return "", false
	}
	v := strings.TrimSpace(p.getenv(name))
	return v, v != ""
}

func (p *parser) fail(name string, format string, args ...any) {
	p.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

func (p *parser) str(name string, dst *string) {
	if v, ok := p.value(name); ok {
		*dst = v
	}
}

// secret reads a secret exactly as set (a shared key's bytes must match
// what the module type holds, spaces included). How long it must be is
// checked where it is used (auth.New); no error here ever quotes it.
func (p *parser) secret(name string, dst *string) {
	if p.err != nil {
		return
	}
	if v := p.getenv(name); v != "" {
		*dst = v
	}
}

// level reads a log level: debug, info, warn or error, in any case.
func (p *parser) level(name string, dst *slog.Level) {
	var v string
	p.oneOf(name, &v, "debug", "info", "warn", "error")
	if v == "" || p.err != nil {
		return
	}
	if err := dst.UnmarshalText([]byte(v)); err != nil {
		p.fail(name, "%q is not a log level", v)
	}
}

// present records whether a variable is set at all, to any value.
func (p *parser) present(name string, dst *bool) {
	if p.err == nil {
		*dst = p.getenv(name) != ""
	}
}

// is sets dst when name holds want, whatever its case and surrounding space.
func (p *parser) is(name, want string, dst *bool) {
	if p.err == nil {
		*dst = strings.EqualFold(strings.TrimSpace(p.getenv(name)), want)
	}
}

func (p *parser) integer(name string, dst *int, lo, hi int) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return
	}
	*dst = n
}

func (p *parser) int64(name string, dst *int64, lo, hi int64) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		p.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return
	}
	*dst = n
}

// duration accepts Go durations ("25s", "1m30s") and plain seconds ("25").
func (p *parser) duration(name string, dst *time.Duration, lo, hi time.Duration) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, serr := strconv.ParseFloat(v, 64)
		if serr != nil {
			p.fail(name, "%q is not a duration such as 25s or 1m", v)
			return
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < lo || d > hi {
		p.fail(name, "%q is out of range (%s to %s)", v, lo, hi)
		return
	}
	*dst = d
}

func (p *parser) boolean(name string, dst *bool) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "%q is not true or false", v)
		return
	}
	*dst = b
}

func (p *parser) oneOf(name string, dst *string, allowed ...string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	v = strings.ToLower(v)
	if !slices.Contains(allowed, v) {
		p.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return
	}
	*dst = v
}

func (p *parser) baseURL(name string, dst *string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	u, err := validBaseURL(v)
	if err != nil {
		p.fail(name, "%v", err)
		return
	}
	*dst = u
}

func (p *parser) redisURL(name string, dst *string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		// The value may hold a password: never echo it.
		p.fail(name, "not a redis://, rediss:// or unix:// URL")
		return
	}
	*dst = v
}

// listenAddr reads a host:port to listen on; the host may be empty (every
// interface) and the port 0 (a free one).
func (p *parser) listenAddr(name string, dst *string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535 || port != strconv.Itoa(n)) {
			err = fmt.Errorf("port out of range")
		}
	}
	if err != nil {
		p.fail(name, "%q is not a host:port such as :9091", v)
		return
	}
	*dst = v
}

// hosts reads a list of host or host:port values. auth.New puts them in the
// canonical form the token's jwks_host is compared in, and refuses the ones
// that are no host: that check lives there, beside the comparison.
func (p *parser) hosts(name string, dst *[]string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	out := splitList(v)
	if len(out) == 0 {
		p.fail(name, "names no host")
		return
	}
	*dst = out
}

func (p *parser) audiences(name string, dst *[]string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	var out []string
	for i, a := range splitList(v) {
		u, err := validBaseURL(a)
		if err != nil {
			p.fail(name, "entry %d: %v", i+1, err)
			return
		}
		out = append(out, u)
	}
	*dst = out
}

// rootPaths are where probes and metrics are served whatever BASE_PATH
// says; a BASE_PATH at or under one of them would shadow it.
var rootPaths = []string{"/healthz", "/readyz", "/metrics"}

// basePath reads a path prefix such as /integrations/urlscanio: segments
// of unreserved characters (RFC 3986), no empty, dot or dot-dot segment,
// no query or escapes. A trailing slash is dropped; "/" alone means none.
func (p *parser) basePath(name string, dst *string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	v = strings.TrimRight(v, "/")
	if v == "" {
		*dst = ""
		return
	}
	if !strings.HasPrefix(v, "/") {
		p.fail(name, "must start with /, as in /integrations/urlscanio")
		return
	}
	for _, seg := range strings.Split(v[1:], "/") {
		if seg == "" || seg == "." || seg == ".." || strings.IndexFunc(seg, notUnreserved) >= 0 {
			p.fail(name, "must be /-separated segments of letters, digits, -, ., _ and ~, as in /integrations/urlscanio")
			return
		}
	}
	for _, r := range rootPaths {
		if v == r || strings.HasPrefix(v, r+"/") {
			p.fail(name, "must not be at or under %s, which stays where probes and scrapers expect it", r)
			return
		}
	}
	*dst = v
}

func notUnreserved(c rune) bool {
	return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~')
}

func (p *parser) visibilities(name string, dst *[]string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	var out []string
	for _, vis := range splitList(strings.ToLower(v)) {
		if vis != "private" && vis != "unlisted" && vis != "public" {
			p.fail(name, "%q is not private, unlisted or public", vis)
			return
		}
		if !slices.Contains(out, vis) {
			out = append(out, vis)
		}
	}
	if len(out) == 0 {
		p.fail(name, "names no visibility")
		return
	}
	*dst = out
}
