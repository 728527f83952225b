package relay

import (
	"strings"

	"urlscan-relay/internal/ctim"
)

// Supported reports whether the relay looks up observables of type typ
// (matched case-insensitively).
func Supported(typ string) bool {
	switch strings.ToLower(typ) {
	case "ip", "ipv6", "domain", "url", "hostname", "sha256":
		return true
	}
	return false
}

// Normalize returns the supported observables of obs with their types
// lower-cased, dropping repeats of the same type and value; order is kept.
func Normalize(obs []ctim.Observable) []ctim.Observable {
	out := make([]ctim.Observable, 0, len(obs))
	seen := make(map[ctim.Observable]struct{}, len(obs))
	for _, o := range obs {
		if !Supported(o.Type) {
			continue
		}
		o.Type = strings.ToLower(o.Type)
		if _, dup := seen[o]; dup {
			continue
		}
		seen[o] = struct{}{}
		out = append(out, o)
	}
	return out
}
