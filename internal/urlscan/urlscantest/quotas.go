package urlscantest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// defaultLimit is the quota of an action Options.Limits does not name: so
// large that it is never spent.
const defaultLimit = 1_000_000

// quotaActions are the actions urlscan's quotas endpoint reports, in its
// names: result documents are "retrieve".
var quotaActions = []string{"search", "retrieve", "private", "unlisted", "public"}

func (s *Server) limit(action string) int64 {
	if n, ok := s.opts.Limits[action]; ok {
		return int64(n)
	}
	return defaultLimit
}

// charge spends one call of action's quota and sets urlscan's rate-limit
// headers (with extra, a fault's headers, on top). Past the quota it
// answers 429 instead, as urlscan does, and reports false: the caller
// answers nothing more. Only successful calls count, as with urlscan.
func (s *Server) charge(w http.ResponseWriter, action string, extra http.Header) bool {
	limit := s.limit(action)
	s.mu.Lock()
	used := s.used[action]
	ok := used < limit
	if ok {
		used++
		s.used[action] = used
	}
	s.mu.Unlock()
	s.rateHeaders(w.Header(), action, limit, used, extra)
	if !ok {
		writeError(w, http.StatusTooManyRequests, "Rate limit exceeded",
			"You have exceeded your "+action+" quota for this minute.", nil)
	}
	return ok
}

// rateHeaders sets urlscan's rate-limit headers for a quota of limit calls,
// used of them spent, unless extra says otherwise.
func (s *Server) rateHeaders(h http.Header, action string, limit, used int64, extra http.Header) {
	now := time.Now().UTC()
	reset := now.Truncate(time.Minute).Add(time.Minute)
	h.Set("X-Rate-Limit-Scope", "team")
	h.Set("X-Rate-Limit-Action", action)
	h.Set("X-Rate-Limit-Window", "minute")
	h.Set("X-Rate-Limit-Limit", strconv.FormatInt(limit, 10))
	h.Set("X-Rate-Limit-Remaining", strconv.FormatInt(max(0, limit-used), 10))
	h.Set("X-Rate-Limit-Reset", reset.Format(time.RFC3339))
	h.Set("X-Rate-Limit-Reset-After", strconv.Itoa(max(1, int(reset.Sub(now).Seconds()))))
	for k, v := range extra {
		h[k] = v
	}
}

type quotaWindow struct {
	Limit     int64   `json:"limit"`
	Used      int64   `json:"used"`
	Remaining int64   `json:"remaining"`
	Percent   float64 `json:"percent"`
}

// quotas answers GET /user/quotas/ the way urlscan does: per action, the
// limit, use and remainder of the minute, hour and day (all one window
// here), next to members that are not quotas at all. It spends nothing.
func (s *Server) quotas(w http.ResponseWriter, extra http.Header) {
	limits := map[string]any{
		"liveshot":               map[string]int{"day": 1000, "hour": 100, "minute": 10},
		"maxRetentionPeriodDays": 7,
		"maxSearchResults":       10000,
		"queryVisibility":        []string{"public", "private"},
	}
	s.mu.Lock()
	for _, a := range quotaActions {
		limit, used := s.limit(a), s.used[a]
		q := quotaWindow{Limit: limit, Used: used, Remaining: max(0, limit-used)}
		if limit > 0 {
			q.Percent = float64(used) / float64(limit) * 100
		}
		limits[a] = map[string]quotaWindow{"minute": q, "hour": q, "day": q}
	}
	s.mu.Unlock()
	body, err := json.Marshal(map[string]any{"source": "user", "limits": limits})
	if err != nil {
		panic(err) // only fixed types are marshalled
	}
	for k, v := range extra {
		w.Header()[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}
