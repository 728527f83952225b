package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/tr"
)

// requestInfo is what one request's log line and metrics say about it;
// handlers fill it in as they go.
type requestInfo struct {
	route       string
	observables int
	errors      []trError
}

type infoKey struct{}

func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

func setRoute(r *http.Request, route string)     { info(r).route = route }
func noteObservables(r *http.Request, n int)     { info(r).observables = n }
func noteErrors(r *http.Request, errs []trError) { info(r).errors = errs }

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// maxRequestIDLen bounds an echoed X-Request-ID, which the client chose.
const maxRequestIDLen = 128

// requestID honours a sane X-Request-ID or mints one.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-ID")
	if id == "" || len(id) > maxRequestIDLen || !printableASCII(id) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	return id
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// instrument wraps every request: request id, REQUEST_TIMEOUT, panic
// recovery, one log line, and the request metrics. Panics become a TR
// error, never a traceback.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-ID", id)
		ri := &requestInfo{route: "unmatched"}
		ctx := context.WithValue(r.Context(), infoKey{}, ri)
		ctx, stats := relay.WithStats(ctx)
		if s.Config.RequestTimeout > 0 {
			// REQUEST_TIMEOUT is how long SecureX waits: it bounds the whole
			// request, the token's JWKS fetch included, not only the
			// urlscan.io calls after it.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.Config.RequestTimeout)
			defer cancel()
		}
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.Error("panic while serving", "request_id", id, "route", ri.route, "panic", p)
				if sw.status == 0 {
					writeTR(sw, r, nil, []error{tr.New(tr.Unknown, "Unexpected error.")})
				}
			}
			s.finish(r, sw.status, time.Since(start), id, ri, stats)
		}()
		next.ServeHTTP(sw, r)
	})
}

// finish logs the request's line and records its metrics.
func (s *server) finish(r *http.Request, status int, d time.Duration, id string, ri *requestInfo, st *relay.Stats) {
	if status == 0 {
		status = http.StatusOK
	}
	outcome := outcomeOf(status, ri.errors)
	s.metrics.recordRequest(r.Method, ri.route, outcome, d)
	level := slog.LevelInfo
	switch {
	case ri.route == "/healthz" || ri.route == "/readyz" || ri.route == "/metrics":
		level = slog.LevelDebug
	case len(ri.errors) > 0:
		level = slog.LevelWarn
	}
	if !s.Logger.Enabled(r.Context(), level) {
		return
	}
	calls, hits := st.Snapshot()
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("route", ri.route),
		slog.Int("status", status),
		slog.String("outcome", outcome),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int("observables", ri.observables),
		slog.Int("urlscan_calls", calls),
		slog.Int("cache_hits", hits),
	}
	if len(ri.errors) > 0 {
		codes := make([]string, len(ri.errors))
		for i, e := range ri.errors {
			codes[i] = string(e.Code)
		}
		attrs = append(attrs, slog.Any("error_codes", codes))
	}
	s.Logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// outcomeOf names a request's result for metrics and logs: "ok", the first
// TR error code, or the HTTP status class.
func outcomeOf(status int, errs []trError) string {
	switch {
	case len(errs) > 0:
		return string(errs[0].Code)
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	}
	return "ok"
}
