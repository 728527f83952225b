package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/server"
)

// metricsServer serves /metrics on METRICS_ADDR, apart from the listener
// that SecureX (and so anyone on the internet) reaches: what the counters
// tell about other tenants' lookups stays inside the cluster.
type metricsServer struct {
	srv  *http.Server
	done chan struct{} // closed when Serve has returned err
	err  error
}

// serveMetrics starts serving the metrics of g on cfg.MetricsAddr.
func serveMetrics(cfg config.Config, g prometheus.Gatherer, logger *slog.Logger) (*metricsServer, error) {
	conns, err := server.NewConns(metricsConnections, nil)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	m := &metricsServer{srv: newHTTPServer(cfg, server.MetricsHandler(g), conns, logger), done: make(chan struct{})}
	logger.Info("metrics listening", "addr", ln.Addr().String())
	go func() {
		defer close(m.done)
		m.err = m.srv.Serve(conns.Listen(ln))
	}()
	return m, nil
}

// stopped is closed when the server has stopped; a nil m never stops.
func (m *metricsServer) stopped() <-chan struct{} {
	if m == nil {
		return nil
	}
	return m.done
}

// stop closes the metrics listener once the relay has drained: scrapes
// go on while it does.
func (m *metricsServer) stop(ctx context.Context) {
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(shutCtx); err != nil {
		_ = m.srv.Close()
	}
	<-m.done
}
