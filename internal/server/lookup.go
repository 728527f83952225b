package server

import (
	"fmt"
	"net/http"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/tr"
)

// lookupRequest is a decoded, authorized request about observables.
type lookupRequest struct {
	obs    []ctim.Observable
	claims *auth.Claims
	limit  int
}

// lookup runs the checks of PROTOCOL.md §3 in order for the observable routes:
// the body's shape, then (only when an observable is supported) the token.
// When it returns false it has already answered: with empty (data for a
// request with nothing to look up) or with an error.
func (s *server) lookup(w http.ResponseWriter, r *http.Request, empty any, needsToken bool) (*lookupRequest, bool) {
	body, err := readBody(w, r, s.Config.MaxBodyBytes)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, false
	}
	raw, err := decodeObservables(body, listItemsPerObservable*s.Config.MaxObservables)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, false
	}
	obs := relay.Normalize(raw)
	noteObservables(r, len(obs))
	if len(obs) == 0 {
		writeTR(w, r, empty, nil)
		return nil, false
	}
	if len(obs) > s.Config.MaxObservables {
		writeTR(w, r, nil, []error{tr.New(tr.InvalidArgument, fmt.Sprintf(
			"Too many observables: %d supported observables, the limit is MAX_OBSERVABLES=%d.",
			len(obs), s.Config.MaxObservables))})
		return nil, false
	}
	req := &lookupRequest{obs: obs}
	if !needsToken {
		return req, true
	}
	claims, err := s.authorize(r)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, false
	}
	req.claims = claims
	req.limit = s.Config.EntitiesLimit(claims.EntitiesLimit)
	return req, true
}

// authorize verifies the request's bearer token against the audiences this
// request may carry.
func (s *server) authorize(r *http.Request) (*auth.Claims, error) {
	claims, err := s.Verifier.Verify(r.Context(), r.Header.Get("Authorization"), s.audiences(r))
	if err != nil && len(s.Config.RelayAudience) == 0 && auth.IsWrongAudience(err) {
		return nil, derivedAudienceError(err.(*tr.Error), s.derivedAudience(r))
	}
	return claims, err
}
