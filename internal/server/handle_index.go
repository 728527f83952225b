package server

import "net/http"

// handleVersion answers POST /version without the data wrapper, as
// SecureX expects.
func (s *server) handleVersion() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"version": s.Version})
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
		page := map[string]any{
			"name":        "urlscan-relay",
			"description": "Cisco SecureX Threat Response relay for urlscan.io",
			"version":     s.Version,
			"endpoints":   eps,
		}
		if s.Demo {
			page["demo"] = true
			page["description"] = "DEMO: this relay answers from a built-in fake urlscan.io with made-up data, and accepts only tokens of its built-in issuer. Not for production."
		}
		encode(w, http.StatusOK, page)
	})
}
