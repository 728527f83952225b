package server

import (
	"net/http"

	"urlscan-relay/internal/tr"
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
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in observe
		if err := s.Check(ctx, claims.Key); err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		writeTR(w, r, map[string]any{"status": "ok"}, nil)
	})
}

// handleVersion answers POST /version without the data wrapper, as
// SecureX expects.
func (s *server) handleVersion() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"version": s.Version})
	})
}

// handleWatchdog answers GET /watchdog by echoing the Health-Check header.
func (s *server) handleWatchdog() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get("Health-Check")
		if v == "" {
			writeTR(w, r, nil, []error{tr.New(tr.HealthCheckFailed, "Invalid Health Check")})
			return
		}
		writeTR(w, r, v, nil)
	})
}

// handleHealthz answers GET /healthz: the process is alive.
func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers GET /readyz: 200 while the relay takes traffic, 503
// once it is draining for shutdown.
func (s *server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Ready() {
			encode(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// handleIndex answers GET / with the relay's name, version and endpoints.
func (s *server) handleIndex(rt *router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type endpoint struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		}
		eps := []endpoint{}
		for _, p := range rt.paths {
			for m := range rt.routes[p] {
				eps = append(eps, endpoint{Method: m, Path: p})
			}
		}
		encode(w, http.StatusOK, map[string]any{
			"name":        "urlscan-relay",
			"description": "Cisco SecureX Threat Response relay for urlscan.io",
			"version":     s.Version,
			"endpoints":   eps,
		})
	})
}
