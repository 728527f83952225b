package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// Conns is the relay's bookkeeping of its client connections. It holds at
// most a fixed number open: each connection costs a file descriptor and
// about 20 KiB, and a client that opens idle connections until accept
// fails would shut every other client out. When the cap is reached, a new
// connection makes room by closing the connection that has waited longest
// without a request in progress (idle between requests, or opened and not
// yet sent anything); connections serving a request are never closed, so
// when all of them are, accepting waits until one ends. It also watches
// each connection's request framing (see framing.go).
type Conns struct {
	max     int
	seq     atomic.Uint64 // orders state changes
	mu      sync.Mutex
	open    map[*trackedConn]struct{}
	room    chan struct{} // signalled when a connection closes or turns idle
	gauge   prometheus.Gauge
	evicted prometheus.Counter
}

// NewConns returns the bookkeeping of at most max open connections
// (n >= 1), with its metrics registered on reg (nil: none).
func NewConns(n int, reg prometheus.Registerer) (*Conns, error) {
	c := &Conns{
		max:  max(n, 1),
		open: make(map[*trackedConn]struct{}),
		room: make(chan struct{}, 1),
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_http_connections",
			Help: "Client connections open.",
		}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_http_connections_evicted_total",
			Help: "Idle client connections closed to make room under MAX_CONNECTIONS.",
		}),
	}
	if err := promreg.Register(reg, "server connections", c.gauge, c.evicted); err != nil {
		return nil, err
	}
	return c, nil
}

// Configure has srv report connection states to c and hand each request
// its connection's framing. The server's general OPTIONS * handler is off,
// so that every request the server reads reaches the handler (which keeps
// the framing's count of requests in step).
func (c *Conns) Configure(srv *http.Server) {
	srv.ConnState = c.connState
	srv.ConnContext = func(ctx context.Context, nc net.Conn) context.Context {
		if tc, ok := nc.(*trackedConn); ok {
			return context.WithValue(ctx, framingKey{}, tc.framing)
		}
		return ctx
	}
	srv.DisableGeneralOptionsHandler = true
}

// Listen wraps ln so that its connections are counted and capped.
func (c *Conns) Listen(ln net.Listener) net.Listener {
	return &cappedListener{Listener: ln, conns: c, done: make(chan struct{})}
}

type cappedListener struct {
	net.Listener
	conns     *Conns
	done      chan struct{}
	closeOnce sync.Once
}

func (l *cappedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: nc, conns: l.conns, framing: newFraming()}
	tc.setState(http.StateNew)
	if err := l.conns.admit(tc, l.done); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return tc, nil
}

func (l *cappedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// admit counts tc in, first making room when the cap is reached: it closes
// the longest-waiting connection without a request in progress, or waits
// for one to close or turn idle.
func (c *Conns) admit(tc *trackedConn, done <-chan struct{}) error {
	for {
		c.mu.Lock()
		if len(c.open) < c.max {
			c.open[tc] = struct{}{}
			c.gauge.Set(float64(len(c.open)))
			c.mu.Unlock()
			return nil
		}
		victim := c.longestWaiting()
		c.mu.Unlock()
		if victim != nil {
			c.evicted.Inc()
			_ = victim.Close() // releases its place at once
			continue
		}
		select {
		case <-c.room:
		case <-done:
			return net.ErrClosed
		case <-time.After(100 * time.Millisecond):
			// States change without a signal only through races with
			// the signal itself; look again now and then regardless.
		}
	}
}

// longestWaiting is the open connection that has waited longest with no
// request in progress, or nil. c.mu is held.
func (c *Conns) longestWaiting() *trackedConn {
	var victim *trackedConn
	var since uint64
	for tc := range c.open {
		st, at := tc.stateSince()
		if st != http.StateNew && st != http.StateIdle {
			continue
		}
		if victim == nil || at < since {
			victim, since = tc, at
		}
	}
	return victim
}

func (c *Conns) release(tc *trackedConn) {
	c.mu.Lock()
	delete(c.open, tc)
	c.gauge.Set(float64(len(c.open)))
	c.mu.Unlock()
	c.signal()
}

func (c *Conns) signal() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

func (c *Conns) connState(nc net.Conn, st http.ConnState) {
	tc, ok := nc.(*trackedConn)
	if !ok {
		return
	}
	if st == http.StateNew {
		return // Accept noted it already, in the order of accepting
	}
	tc.setState(st)
	if st == http.StateIdle {
		c.signal()
	}
}

// trackedConn is one client connection: its state as the server last
// reported it, and the framing of what it sent.
type trackedConn struct {
	net.Conn
	conns     *Conns
	framing   *framing
	state     atomic.Uint64 // http.ConnState in the low byte, the order of the change above it
	closeOnce sync.Once
	closeErr  error
}

func (tc *trackedConn) setState(st http.ConnState) {
	tc.state.Store(tc.conns.seq.Add(1)<<8 | uint64(st))
}

// stateSince is the connection's state and when it entered it, as an order
// among all connections' changes.
func (tc *trackedConn) stateSince() (http.ConnState, uint64) {
	v := tc.state.Load()
	return http.ConnState(v & 0xff), v >> 8
}

func (tc *trackedConn) Read(p []byte) (int, error) {
	n, err := tc.Conn.Read(p)
	tc.framing.feed(p[:n])
	return n, err
}

// CloseWrite half-closes the connection when it can: the server does so
// before closing after an error answer, so that the client reads the
// answer rather than a reset.
func (tc *trackedConn) CloseWrite() error {
	if cw, ok := tc.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection once, and gives its place back at once,
// whoever closes it first: the server, or admit making room.
func (tc *trackedConn) Close() error {
	tc.closeOnce.Do(func() {
		tc.closeErr = tc.Conn.Close()
		tc.conns.release(tc)
	})
	return tc.closeErr
}
