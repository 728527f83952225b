package config

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// urlscan.io's own limits on the tags of one submission.
const (
	MaxScanTags    = 10
	MaxScanTagLen  = 29
	maxDomainLen   = 253
	maxDomainLabel = 63
)

// scanTags reads a comma-separated list of tags for every submission,
// within urlscan.io's limits: at most MaxScanTags tags of at most
// MaxScanTagLen characters, printable, repeats dropped.
func (p *parser) scanTags(name string, dst *[]string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	var out []string
	for _, t := range splitList(v) {
		if n := utf8.RuneCountInString(t); n > MaxScanTagLen {
			p.fail(name, "tag %q is %d characters long; urlscan.io allows at most %d", t, n, MaxScanTagLen)
			return
		}
		if strings.IndexFunc(t, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 || !utf8.ValidString(t) {
			p.fail(name, "tag %q holds a character that is not printable", t)
			return
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxScanTags {
		p.fail(name, "%d tags; urlscan.io allows at most %d", len(out), MaxScanTags)
		return
	}
	if len(out) == 0 {
		p.fail(name, "names no tag")
		return
	}
	*dst = out
}

// country reads a two-letter country code (ISO 3166-1 alpha-2), which
// urlscan.io expects in lower case.
func (p *parser) country(name string, dst *string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	v = strings.ToLower(v)
	if len(v) != 2 || v[0] < 'a' || v[0] > 'z' || v[1] < 'a' || v[1] > 'z' {
		p.fail(name, "%q is not a two-letter country code such as de or us", v)
		return
	}
	*dst = v
}

// domains reads a comma-separated list of domain names in the form they
// are matched in: lower case, without a trailing dot, repeats dropped.
func (p *parser) domains(name string, dst *[]string) {
	v, ok := p.value(name)
	if !ok {
		return
	}
	var out []string
	for _, d := range splitList(v) {
		n, err := normalizeDomain(d)
		if err != nil {
			p.fail(name, "%q: %v", d, err)
			return
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		p.fail(name, "names no domain")
		return
	}
	*dst = out
}

// normalizeDomain checks an ASCII domain name (internationalised names in
// their xn-- form) and returns it in lower case without a trailing dot.
func normalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	if d == "" || len(d) > maxDomainLen {
		return "", fmt.Errorf("not a domain name of 1 to %d characters", maxDomainLen)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > maxDomainLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("not a domain name (a label is empty, too long, or starts or ends with -)")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("not a domain name (use the xn-- form of an internationalised name)")
			}
		}
	}
	return d, nil
}
