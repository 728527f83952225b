package relay

import (
	"strings"

	"urlscan-relay/internal/ctim"
)

// Normalize returns the supported observables of obs with their types
// lower-cased, dropping repeats of the same type and value; order is kept.
func Normalize(obs []ctim.Observable) []ctim.Observable {
	out := make([]ctim.Observable, 0, len(obs))
	seen := make(map[ctim.Observable]struct{}, len(obs))
	for _, o := range obs {
		typ := strings.ToLower(o.Type)
		if typeNamed(typ) == nil {
			continue
		}
		o.Type = typ
		if _, dup := seen[o]; dup {
			continue
		}
		seen[o] = struct{}{}
		out = append(out, o)
	}
	return out
}
