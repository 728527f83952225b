package server

import (
	"net/http"

	"urlscan-relay/internal/ctim"
)

// handleObserve answers POST /observe/observables with sightings,
// judgements, indicators, relationships and verdicts.
func (s *server) handleObserve() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := s.lookup(w, r, ctim.ObserveData{}, true)
		if !ok {
			return
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		data, errs := s.Relay.Observe(ctx, req.claims.Key, req.obs, req.limit)
		writeTR(w, r, data, errs)
	})
}

// handleDeliberate answers POST /deliberate/observables with verdicts only.
func (s *server) handleDeliberate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := s.lookup(w, r, ctim.DeliberateData{}, true)
		if !ok {
			return
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		data, errs := s.Relay.Deliberate(ctx, req.claims.Key, req.obs, req.limit)
		writeTR(w, r, data, errs)
	})
}

// handleRefer answers POST /refer/observables with pivot links into
// urlscan.io for observables it has scans of.
func (s *server) handleRefer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := s.lookup(w, r, []ctim.Reference{}, true)
		if !ok {
			return
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		refs, errs := s.Relay.Refer(ctx, req.claims.Key, req.obs, req.limit)
		if refs == nil {
			refs = []ctim.Reference{}
		}
		writeTR(w, r, refs, errs)
	})
}
