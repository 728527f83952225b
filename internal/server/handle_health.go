package server

import (
	"net/http"

	"urlscan-relay/internal/relay"
)

// handleHealth answers POST /health after one cheap authenticated
// urlscan.io call, so SecureX learns whether the module's key works.
func (s *server) handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := s.authorize(r)
		if err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		// The check is one urlscan.io call, answered or not; the request's
		// log line counts it as it counts the relay's own.
		relay.StatsFrom(ctx).AddCall()
		if err := s.Check(ctx, claims.Key); err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		writeTR(w, r, map[string]any{"status": "ok"}, nil)
	})
}
