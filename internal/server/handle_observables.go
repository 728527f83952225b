package server

import (
	"context"
	"net/http"

	"urlscan-relay/internal/ctim"
)

// observablesMethod is a relay method that looks observables up at
// urlscan.io with the token's key and answers with T: Relay.Observe,
// Relay.Deliberate or Relay.Refer.
type observablesMethod[T any] func(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (T, []error)

// handleObservables makes the handler of a route that answers about
// observables with method: POST /observe/observables (sightings,
// judgements, indicators, relationships and verdicts),
// /deliberate/observables (verdicts only) and /refer/observables (pivot
// links into urlscan.io). A request with nothing supported in it is
// answered with T's empty value, its token unchecked. (POST
// /respond/observables, which needs no token, is handleRespond.)
func handleObservables[T any](s *server, method observablesMethod[T]) http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		req, err := s.readObservables(r, true)
		if err != nil {
			return failed(err)
		}
		if len(req.obs) == 0 {
			var nothing T
			return nothing, nil
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		return method(ctx, req.claims.Key, req.obs, req.limit)
	})
}
