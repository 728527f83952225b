package tiles

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"urlscan-relay/internal/urlscan"
)

// QuotaReader reads urlscan.io's quotas endpoint for a key (implemented by
// *urlscan.Client).
type QuotaReader interface {
	Quotas(ctx context.Context, apiKey string) (*urlscan.Quotas, error)
}

// quotaReuse is how long one answer of the quotas endpoint serves the
// tile, per key.
const quotaReuse = time.Minute

// maxQuotaKeys bounds the answers kept for reuse.
const maxQuotaKeys = 10_000

// quotaActions are the actions the tile shows, in order, with labels.
var quotaActions = []struct{ name, label string }{
	{urlscan.QuotaSearch, "Searches"},
	{urlscan.QuotaRetrieve, "Result retrievals"},
	{urlscan.QuotaPrivate, "Private scans"},
	{urlscan.QuotaUnlisted, "Unlisted scans"},
	{urlscan.QuotaPublic, "Public scans"},
}

// metric is one figure of a metric_group tile.
type metric struct {
	Icon      string `json:"icon"`
	Label     string `json:"label"`
	Value     int64  `json:"value"`
	ValueUnit string `json:"value_unit"`
}

// quotaCache keeps the latest quotas answer per key id for quotaReuse, for
// at most maxQuotaKeys keys: the key asked about least recently goes first.
type quotaCache struct {
	mu  sync.Mutex
	got *simplelru.LRU[string, quotaAnswer]
}

type quotaAnswer struct {
	q  *urlscan.Quotas
	at time.Time
}

func newQuotaCache() *quotaCache {
	got, _ := simplelru.NewLRU[string, quotaAnswer](maxQuotaKeys, nil) // only a size below 1 fails
	return &quotaCache{got: got}
}

func (c *quotaCache) get(keyID string, now time.Time) *urlscan.Quotas {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.got.Get(keyID)
	if !ok || now.Sub(a.at) >= quotaReuse || now.Before(a.at) {
		return nil
	}
	return a.q
}

func (c *quotaCache) put(keyID string, q *urlscan.Quotas, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got.Add(keyID, quotaAnswer{q, now})
}

// quotaTile shows what is left today of each action's quota.
func quotaTile(qr QuotaReader) kind {
	cache := newQuotaCache()
	return kind{
		tile: describe("urlscan-quota", "metric_group", "urlscan.io quota left today",
			"What is left today of this module's urlscan.io API key quota, per action: searches, result retrievals, and private, unlisted and public scans. The figures are urlscan.io's own, at most a minute old; they do not depend on the period.",
			"urlscan.io quota left today, per action"),
		data: func(ctx context.Context, apiKey string, _ Period, now time.Time) (Data, error) {
			keyID := urlscan.KeyID(apiKey)
			q := cache.get(keyID, now)
			if q == nil {
				var err error
				if q, err = qr.Quotas(ctx, apiKey); err != nil {
					return Data{}, fmt.Errorf("quotas: %w", err)
				}
				cache.put(keyID, q, now)
			}
			metrics := make([]metric, 0, len(quotaActions))
			for _, a := range quotaActions {
				w := q.Actions[a.name].Day
				if !w.Known {
					continue
				}
				icon := "check"
				if w.Remaining <= w.Limit/10 {
					icon = "warning"
				}
				metrics = append(metrics, metric{
					Icon:      icon,
					Label:     fmt.Sprintf("%s left today (of %d)", a.label, w.Limit),
					Value:     w.Remaining,
					ValueUnit: "integer",
				})
			}
			return Data{Data: metrics}, nil
		},
	}
}
