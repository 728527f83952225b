package urlscan

import (
	"sync"
	"time"
)

// The rate-limit actions the client tracks, as Remaining names them.
// urlscan limits scans per visibility; the client folds them onto one.
const (
	ActionSearch = endpointSearch
	ActionResult = endpointResult
	ActionScan   = endpointScan
)

// remainingFor is how long a remaining count is believed when urlscan did
// not say when its window resets: the shortest window, a minute.
const remainingFor = time.Minute

// sameWindow is how far apart two answers' reset times may be and still be
// the same window: urlscan's Reset-After is in whole seconds.
const sameWindow = 2 * time.Second

// maxRemaining bounds the (key, action) pairs whose remaining count is
// kept; past it the expired ones go, and if none has expired, all of them:
// a forgotten count only means the next request does not know it.
const maxRemaining = 4096

// remainingCounts keeps, per key and action, the last remaining quota
// urlscan's rate-limit headers told, until the window it belongs to resets.
type remainingCounts struct {
	mu     sync.Mutex
	counts map[string]remainingCount
}

type remainingCount struct {
	n     int64
	until time.Time
}

func (rc *remainingCounts) set(keyID, action string, n int64, until time.Time, now time.Time) {
	k := keyID + "\x00" + action
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.counts == nil {
		rc.counts = make(map[string]remainingCount)
	}
	if _, ok := rc.counts[k]; !ok && len(rc.counts) >= maxRemaining {
		for k, c := range rc.counts {
			if !c.until.After(now) {
				delete(rc.counts, k)
			}
		}
		if len(rc.counts) >= maxRemaining {
			clear(rc.counts)
		}
	}
	// Answers of one window arrive out of order: within it the count only
	// goes down, so the smallest one told is the truth.
	if old, ok := rc.counts[k]; ok && old.until.After(now) && until.Before(old.until.Add(sameWindow)) {
		n = min(n, old.n)
	}
	rc.counts[k] = remainingCount{n: n, until: until}
}

func (rc *remainingCounts) get(keyID, action string, now time.Time) (int64, bool) {
	k := keyID + "\x00" + action
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c, ok := rc.counts[k]
	if !ok {
		return 0, false
	}
	if !c.until.After(now) {
		delete(rc.counts, k)
		return 0, false
	}
	return c.n, true
}

// Remaining returns how many calls of action (ActionSearch, ActionResult,
// ActionScan) apiKey has left before urlscan.io refuses them, as the
// rate-limit headers of the key's latest answer for that action (or its
// quotas, see Quotas) said; known is false when nothing was said since
// the window reset. It is this process's knowledge only, and a snapshot:
// concurrent requests of the same key spend the same remainder.
func (c *Client) Remaining(apiKey, action string) (n int64, known bool) {
	return c.remaining.get(KeyID(apiKey), action, c.now())
}

// noteRemaining records what an answer's headers said about the quota.
func (c *Client) noteRemaining(keyID string, q quota) {
	now := c.now()
	d := q.resetAfter
	if d <= 0 {
		d = remainingFor
	}
	c.remaining.set(keyID, q.action, q.remaining, now.Add(d), now)
}
