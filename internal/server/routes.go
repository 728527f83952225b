package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the relay (PROTOCOL.md §1) in one place.
// The relay's own endpoints are served under BASE_PATH; probes and metrics
// stay at the root, where orchestrators and scrapers look for them.
func (s *server) routes(rt *router) {
	rt.api(http.MethodPost, "/health", s.handleHealth())
	rt.api(http.MethodPost, "/observe/observables", handleObservables(s, s.Relay.Observe))
	rt.api(http.MethodPost, "/deliberate/observables", handleObservables(s, s.Relay.Deliberate))
	rt.api(http.MethodPost, "/refer/observables", handleObservables(s, s.Relay.Refer))
	rt.api(http.MethodPost, "/respond/observables", s.handleRespond())
	rt.api(http.MethodPost, "/respond/trigger", s.handleTrigger())
	if s.Tiles != nil {
		rt.api(http.MethodPost, "/tiles", s.handleTiles())
		rt.api(http.MethodPost, "/tiles/tile", s.handleTile())
		rt.api(http.MethodPost, "/tiles/tile-data", s.handleTileData())
	}
	rt.api(http.MethodPost, "/version", s.handleVersion())
	rt.api(http.MethodGet, "/watchdog", s.handleWatchdog())
	rt.api(http.MethodGet, "/", s.handleIndex(rt))
	rt.handle(http.MethodGet, "/healthz", s.handleHealthz())
	rt.handle(http.MethodGet, "/readyz", s.handleReadyz())
	if s.Gatherer != nil {
		rt.handle(http.MethodGet, "/metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	}
}

// MetricsHandler serves GET /metrics alone, for a listener of its own
// (METRICS_ADDR); other paths are 404 and other methods 405, in JSON.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	rt := newRouter("") // METRICS_ADDR is not behind the ingress: no BASE_PATH
	rt.handle(http.MethodGet, "/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return refuseAmbiguousFraming(rt)
}
