package server

import (
	"net/http"

	"urlscan-relay/internal/relay"
)

// handleHealth answers POST /health after one cheap authenticated
// urlscan.io call, so SecureX learns whether the module's key works.
func (s *server) handleHealth() http.Handler {
	ok := map[string]any{"status": "ok"}
	return answerTR(func(r *http.Request) (any, []error) {
		claims, err := s.authorize(r)
		if err != nil {
			return failed(err)
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		// The request's log line counts the check's calls, answered or
		// not, as it counts the relay's own.
		calls, err := s.Check(ctx, claims.Key)
		stats := relay.StatsFrom(ctx)
		for range calls {
			stats.AddCall()
		}
		return result(ok, err)
	})
}
