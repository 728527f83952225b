package urlscan

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// endpointQuotas is the quotas endpoint, GET /user/quotas/ at the origin of
// the API root. It spends no quota of any action.
const endpointQuotas = "quotas"

// The actions urlscan.io's quotas endpoint reports, in its own names (they
// differ from the client's: result documents are "retrieve", and each
// scan visibility has its own quota). urlscan may report others; Quotas
// keeps whatever has the shape of a quota.
const (
	QuotaSearch   = "search"
	QuotaRetrieve = "retrieve"
	QuotaPrivate  = "private"
	QuotaUnlisted = "unlisted"
	QuotaPublic   = "public"
)

var knownQuotaActions = map[string]bool{QuotaSearch: true, QuotaRetrieve: true, QuotaPrivate: true, QuotaUnlisted: true, QuotaPublic: true}

// Quotas is what urlscan.io's quotas endpoint says about one API key: for
// each action, the limit, use and remainder of the current minute, hour
// and day. It holds nothing that identifies the key.
type Quotas struct {
	// Actions by urlscan's action name (QuotaSearch, QuotaRetrieve, …).
	Actions map[string]ActionQuota
	// At is when the answer came, by the Client's clock.
	At time.Time
}

// ActionQuota is one action's quota in urlscan's three fixed windows.
type ActionQuota struct {
	Minute, Hour, Day Window
}

// Window is an action's quota over one window. urlscan's windows are
// fixed: they reset at the full minute, the full hour and midnight UTC.
type Window struct {
	Known     bool      // the answer held this window; the other fields are zero otherwise
	Limit     int64     // calls allowed in the window
	Used      int64     // calls spent so far (only successful calls count)
	Remaining int64     // calls left
	Reset     time.Time // when the window ends and the count starts again
}

// Remaining is the fewest calls the action has left over its known
// windows, and when that window resets; ok is false when none is known.
func (a ActionQuota) Remaining() (n int64, reset time.Time, ok bool) {
	for _, w := range [...]Window{a.Minute, a.Hour, a.Day} {
		if w.Known && (!ok || w.Remaining < n) {
			n, reset, ok = w.Remaining, w.Reset, true
		}
	}
	return n, reset, ok
}

// Quotas asks urlscan.io how much of each action's quota apiKey has used,
// which costs none of it. The errors are those of any call (see Error); a
// urlscan without the endpoint answers one with Status 404. It also
// records the remaining counts for Remaining and, for the actions named
// above, in the urlscan_quota_remaining metric (by action and window,
// never by key).
func (c *Client) Quotas(ctx context.Context, apiKey string) (*Quotas, error) {
	var q *Quotas
	err := c.do(ctx, apiKey, request{endpoint: endpointQuotas, method: http.MethodGet, url: c.origin + "/user/quotas/", idempotent: true},
		func(doc []byte) error {
			var err error
			q, err = decodeQuotas(doc, c.now())
			return err
		})
	if err != nil {
		return nil, err
	}
	c.noteQuotas(KeyID(apiKey), q)
	return q, nil
}

// Check proves that the key and urlscan.io both work, for /health, with
// the quotas endpoint, so that it spends no search or result quota. Where
// urlscan.io has no such endpoint (404), it falls back to a search for one
// hit. calls is how many urlscan.io calls it made: 1, or 2 with the
// fallback.
func (c *Client) Check(ctx context.Context, apiKey string) (calls int, err error) {
	_, err = c.Quotas(ctx, apiKey)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		_, err = c.Search(ctx, apiKey, checkQuery, 1)
		return 2, err
	}
	return 1, err
}

// checkQuery is the search Check falls back to: cheap, and answered for
// any key.
const checkQuery = `page.domain:"urlscan.io"`

// originOf is the scheme and host of an API root such as
// https://urlscan.io/api/v1: where the quotas endpoint lives.
func originOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Scheme + "://" + u.Host
}

// maxQuotaActions bounds the actions kept from one answer; urlscan reports
// about ten members under limits, most of them quotas.
const maxQuotaActions = 32

// maxActionName bounds an action's name, which becomes a metric label.
const maxActionName = 32

// decodeQuotas reads a quotas answer received at now: under limits, every
// member that is an object with minute, hour or day windows of numbers is
// an action. Anything else (liveshot's bare numbers, feature lists) is
// skipped, as are negative or non-integer counts.
func decodeQuotas(doc []byte, now time.Time) (*Quotas, error) {
	v, err := parseObject(doc, "limits")
	if err != nil {
		return nil, err
	}
	q := &Quotas{Actions: map[string]ActionQuota{}, At: now}
	v[0].ForEach(func(name, a gjson.Result) bool {
		if len(q.Actions) == maxQuotaActions {
			return false
		}
		if !a.IsObject() || !validActionName(name.Str) {
			return true
		}
		aq := ActionQuota{
			Minute: window(a.Get("minute"), now.UTC().Truncate(time.Minute).Add(time.Minute)),
			Hour:   window(a.Get("hour"), now.UTC().Truncate(time.Hour).Add(time.Hour)),
			Day:    window(a.Get("day"), midnightAfter(now)),
		}
		if aq.Minute.Known || aq.Hour.Known || aq.Day.Known {
			q.Actions[strings.Clone(name.Str)] = aq
		}
		return true
	})
	return q, nil
}

// window reads one window; it is Known only when limit, used and
// remaining are all whole, non-negative numbers.
func window(v gjson.Result, reset time.Time) Window {
	if !v.IsObject() {
		return Window{}
	}
	var n [3]int64
	for i, f := range [...]string{"limit", "used", "remaining"} {
		x := v.Get(f)
		if x.Type != gjson.Number || x.Num < 0 || x.Num != float64(int64(x.Num)) || x.Num > 1e15 {
			return Window{}
		}
		n[i] = int64(x.Num)
	}
	return Window{Known: true, Limit: n[0], Used: n[1], Remaining: n[2], Reset: reset}
}

func midnightAfter(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// validActionName keeps names that are safe as metric labels: lower-case
// letters, digits, '_' and '-', not too long.
func validActionName(s string) bool {
	if s == "" || len(s) > maxActionName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// noteQuotas records a quotas answer: the metric of each action's
// remaining counts, and the remaining search and result counts that
// Remaining reports until their windows reset.
func (c *Client) noteQuotas(keyID string, q *Quotas) {
	for name, a := range q.Actions {
		if !knownQuotaActions[name] {
			continue // a label per name urlscan invents would grow without bound
		}
		for _, w := range [...]struct {
			name string
			w    Window
		}{{"minute", a.Minute}, {"hour", a.Hour}, {"day", a.Day}} {
			if w.w.Known {
				c.metrics.quota.WithLabelValues(name, w.name).Set(float64(w.w.Remaining))
			}
		}
	}
	for quotaName, action := range map[string]string{QuotaSearch: ActionSearch, QuotaRetrieve: ActionResult} {
		if n, reset, ok := q.Actions[quotaName].Remaining(); ok {
			c.remaining.set(keyID, action, n, reset, q.At)
		}
	}
}
