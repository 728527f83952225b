package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

const (
	jwksPath        = "/.well-known/jwks"
	maxJWKSBytes    = 1 << 20
	fetchTimeout    = 5 * time.Second
	negativeTTL     = 5 * time.Second // a failed fetch is not retried sooner
	refreshInterval = time.Minute     // an unknown kid refetches no more often
	minRSABits      = 2048
)

// keySet maps a kid to the RSA key to verify its tokens with; a nil key
// means the kid is there but its key is not one this relay verifies with
// (another type, another algorithm, too short).
type keySet map[string]*rsa.PublicKey

// hostKeys is what the cache knows about one JWKS host.
type hostKeys struct {
	keys        keySet    // last good set, nil before the first success
	fetchedAt   time.Time // when keys were fetched
	attemptedAt time.Time // last fetch, good or bad
	failure     *failure  // last fetch's failure, nil once one succeeds
}

// jwksCache fetches and keeps the key sets of allow-listed hosts. Its map
// only ever holds allow-listed hosts, so it is bounded by JWKS_HOSTS.
type jwksCache struct {
	client  *http.Client
	ttl     time.Duration
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics
	flight  singleflight.Group

	mu    sync.Mutex
	hosts map[string]*hostKeys
}

// key finds kid in host's set, refreshing the set for an unknown kid at
// most once per refreshInterval. found reports whether the set has kid;
// the key is nil when kid's key is not one to verify RS256 with.
func (c *jwksCache) key(ctx context.Context, host, kid string) (*rsa.PublicKey, bool, *failure) {
	keys, f := c.keys(ctx, host, false)
	if f != nil {
		return nil, false, f
	}
	if k, ok := keys[kid]; ok {
		return k, true, nil
	}
	if !c.mayRefresh(host) {
		return nil, false, nil
	}
	keys, f = c.keys(ctx, host, true)
	if f != nil {
		return nil, false, f
	}
	k, ok := keys[kid]
	return k, ok, nil
}

// mayRefresh reports whether an unknown kid may refetch host's set now.
func (c *jwksCache) mayRefresh(host string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.hosts[host]
	return e == nil || c.now().Sub(e.attemptedAt) >= refreshInterval
}

// cached answers from memory when it can: a fresh set (unless refresh is
// asked for) or a recent failure.
func (c *jwksCache) cached(host string, refresh bool) (keySet, *failure, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.hosts[host]
	if e == nil {
		return nil, nil, false
	}
	now := c.now()
	if refresh && now.Sub(e.attemptedAt) < refreshInterval {
		// Another caller refreshed while this one waited.
		return e.keys, e.failure, true
	}
	if !refresh && e.keys != nil && now.Sub(e.fetchedAt) < c.ttl {
		return e.keys, nil, true
	}
	if e.failure != nil && now.Sub(e.attemptedAt) < negativeTTL {
		return nil, e.failure, true
	}
	return nil, nil, false
}

// keys returns host's set, fetching it when the cache cannot answer.
// Concurrent fetches of one host share a single request; each caller
// still stops waiting when its own ctx ends.
func (c *jwksCache) keys(ctx context.Context, host string, refresh bool) (keySet, *failure) {
	if keys, f, ok := c.cached(host, refresh); ok {
		return keys, f
	}
	// The request outlives the caller that starts it (others may be
	// waiting on it), so it keeps ctx's values but not its cancellation,
	// and has its own deadline.
	fctx := context.WithoutCancel(ctx)
	ch := c.flight.DoChan(host, func() (any, error) {
		if keys, f, ok := c.cached(host, refresh); ok {
			return result{keys, f}, nil
		}
		return c.fetch(fctx, host), nil
	})
	select {
	case r := <-ch:
		res := r.Val.(result)
		return res.keys, res.failure
	case <-ctx.Done():
		return nil, authFailure(reasonJWKSHost, msgWrongHost)
	}
}

type result struct {
	keys    keySet
	failure *failure
}

// fetch gets host's set and records the outcome in the cache. Failures
// are remembered for negativeTTL; a good set for the TTL.
func (c *jwksCache) fetch(ctx context.Context, host string) result {
	started := c.now()
	keys, res, err := c.get(ctx, host)
	c.metrics.fetches.WithLabelValues(string(res)).Inc()
	var f *failure
	if err != nil {
		c.log.WarnContext(ctx, "JWKS fetch failed", "jwks_host", host, "result", string(res), "error", err)
		f = authFailure(reasonJWKSHost, msgWrongHost)
		if res == fetchNoKeys {
			f = authFailure(reasonJWKS, msgWrongPayload)
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.hosts[host]
	if e == nil {
		e = &hostKeys{}
		c.hosts[host] = e
	}
	e.attemptedAt, e.failure = started, f
	if f != nil {
		return result{failure: f}
	}
	e.keys, e.fetchedAt = keys, started
	return result{keys: keys}
}

// get performs one GET of https://host/.well-known/jwks, redirects not
// followed, and parses the answer.
func (c *jwksCache) get(ctx context.Context, host string) (keySet, fetchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	u := url.URL{Scheme: "https", Host: host, Path: jwksPath}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fetchUnreachable, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fetchUnreachable, fmt.Errorf("get jwks: %w", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJWKSBytes))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fetchStatus, fmt.Errorf("jwks answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fetchUnreachable, fmt.Errorf("read jwks: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fetchTooLarge, fmt.Errorf("jwks larger than %d bytes", maxJWKSBytes)
	}
	return parseKeySet(body)
}

// parseKeySet reads a JWKS document. Keys it cannot use are kept as nil
// under their kid rather than failing the whole set: one odd key must
// not lock out the others.
func parseKeySet(body []byte) (keySet, fetchResult, error) {
	doc, ok := jsonObject(body)
	if !ok {
		return nil, fetchNotJSON, fmt.Errorf("jwks is not a JSON object")
	}
	var list []json.RawMessage
	if raw, ok := doc["keys"]; !ok || json.Unmarshal(raw, &list) != nil || list == nil {
		return nil, fetchNoKeys, fmt.Errorf("jwks has no keys list")
	}
	keys := make(keySet, len(list))
	for _, raw := range list {
		kid, pub := parseKey(raw)
		if kid == "" {
			continue
		}
		if keys[kid] == nil {
			keys[kid] = pub
		}
	}
	return keys, fetchOK, nil
}

// parseKey returns a key's kid, and its RSA public key when it is one to
// verify RS256 signatures with.
func parseKey(raw json.RawMessage) (string, *rsa.PublicKey) {
	var meta struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &meta) != nil || meta.Kid == "" {
		return "", nil
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return meta.Kid, nil
	}
	if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
		return meta.Kid, nil
	}
	pub, ok := k.Public().Key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < minRSABits {
		return meta.Kid, nil
	}
	return meta.Kid, pub
}
