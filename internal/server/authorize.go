package server

import (
	"net/http"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/tr"
)

// authorize verifies the request's bearer token against the audiences this
// request may carry.
func (s *server) authorize(r *http.Request) (*auth.Claims, error) {
	claims, err := s.Verifier.Verify(r.Context(), r.Header.Get("Authorization"), s.audiences(r))
	if err != nil && len(s.Config.RelayAudience) == 0 && auth.IsWrongAudience(err) {
		return nil, derivedAudienceError(tr.From(err), s.derivedAudience(r))
	}
	return claims, err
}

// apiKey is the urlscan.io key of verified claims, which a route that acts
// with the key itself (a scan, the dashboard's data) cannot do without.
func apiKey(claims *auth.Claims) (string, error) {
	if claims.Key == "" {
		return "", tr.New(tr.PermissionDenied, tr.MsgMissingKey)
	}
	return claims.Key, nil
}
