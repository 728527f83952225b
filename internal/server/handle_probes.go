package server

import (
	"net/http"

	"urlscan-relay/internal/tr"
)

// handleWatchdog answers GET /watchdog by echoing the Health-Check header.
func (s *server) handleWatchdog() http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		v := r.Header.Get("Health-Check")
		if v == "" {
			return failed(tr.New(tr.HealthCheckFailed, "Invalid Health Check"))
		}
		return v, nil
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
