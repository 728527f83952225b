package server

import (
	"fmt"
	"net/http"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/tr"
)

// observablesRequest is a decoded request about observables: the
// supported ones and, for a route that needs a token, its verified claims
// and the entities limit they set.
type observablesRequest struct {
	obs    []ctim.Observable
	claims *auth.Claims
	limit  int
}

// readObservables runs the checks of PROTOCOL.md §3 in order for the
// observable routes: the body's shape, then (only when an observable is
// supported, and when needsToken) the token. A request with no supported
// observable comes back without any and with its token unchecked: there
// is nothing to look up, and the answer is empty data.
func (s *server) readObservables(r *http.Request, needsToken bool) (*observablesRequest, error) {
	body, err := readBody(r, s.Config.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	raw, err := decodeObservables(body, listItemsPerObservable*s.Config.MaxObservables)
	if err != nil {
		return nil, err
	}
	obs := relay.Normalize(raw)
	noteObservables(r, len(obs))
	if len(obs) == 0 {
		return &observablesRequest{}, nil
	}
	if len(obs) > s.Config.MaxObservables {
		return nil, tr.New(tr.InvalidArgument, fmt.Sprintf(
			"Too many observables: %d supported observables, the limit is MAX_OBSERVABLES=%d.",
			len(obs), s.Config.MaxObservables))
	}
	req := &observablesRequest{obs: obs}
	if !needsToken {
		return req, nil
	}
	claims, err := s.authorize(r)
	if err != nil {
		return nil, err
	}
	req.claims = claims
	req.limit = s.Config.EntitiesLimit(claims.EntitiesLimit)
	return req, nil
}
