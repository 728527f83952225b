// Package server is the relay's HTTP edge: routes, request decoding,
// authorization, and the Threat Response envelope every answer goes out in.
package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
)

// Relay is what the server asks of the relay logic.
type Relay interface {
	Observe(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.ObserveData, []error)
	Deliberate(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.DeliberateData, []error)
	Refer(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) ([]ctim.Reference, []error)
	Respond(obs []ctim.Observable) []ctim.Action
	Trigger(ctx context.Context, apiKey string, t relay.Trigger) error
}

// Verifier turns an Authorization header into verified claims.
type Verifier interface {
	Verify(ctx context.Context, authorization string, audiences []string) (*auth.Claims, error)
}

// Deps is everything the server needs; New wires it into one handler.
type Deps struct {
	Config  config.Config
	Version string
	// Demo marks the index page: the relay answers from a fake urlscan.io.
	Demo     bool
	Relay    Relay
	Verifier Verifier
	// Tiles answers the dashboard endpoints; nil: none are served.
	Tiles Tiles
	// Check makes a cheap authenticated urlscan.io call (POST /health) and
	// says how many calls it made.
	Check func(ctx context.Context, apiKey string) (calls int, err error)
	// Ready reports whether the relay takes traffic (false while draining).
	Ready      func() bool
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer // served at /metrics; nil: no /metrics route
}

// server holds the dependencies the handlers close over.
type server struct {
	Deps
	metrics *httpMetrics
}

// New returns the relay's whole HTTP handler.
func New(d Deps) (http.Handler, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Ready == nil {
		d.Ready = func() bool { return true }
	}
	m, err := newHTTPMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	s := &server{Deps: d, metrics: m}
	rt := newRouter(d.Config.BasePath)
	s.routes(rt)
	return s.instrument(refuseAmbiguousFraming(rt)), nil
}
