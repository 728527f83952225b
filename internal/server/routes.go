package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the relay (PROTOCOL.md §1) in one place.
func (s *server) routes(rt *router) {
	rt.handle(http.MethodPost, "/health", s.handleHealth())
	rt.handle(http.MethodPost, "/observe/observables", s.handleObserve())
	rt.handle(http.MethodPost, "/deliberate/observables", s.handleDeliberate())
	rt.handle(http.MethodPost, "/refer/observables", s.handleRefer())
	rt.handle(http.MethodPost, "/respond/observables", s.handleRespond())
	rt.handle(http.MethodPost, "/respond/trigger", s.handleTrigger())
	rt.handle(http.MethodPost, "/version", s.handleVersion())
	rt.handle(http.MethodGet, "/watchdog", s.handleWatchdog())
	rt.handle(http.MethodGet, "/", s.handleIndex(rt))
	rt.handle(http.MethodGet, "/healthz", s.handleHealthz())
	rt.handle(http.MethodGet, "/readyz", s.handleReadyz())
	if s.Gatherer != nil {
		rt.handle(http.MethodGet, "/metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	}
}
