package relay

import (
	"fmt"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// HitsCodec encodes cached search answers for the shared tier, and holds
// what it reads back to the bounds of an urlscan.io answer: Redis is
// outside the process, and a value planted there (a hit id shaped like a
// path, a stat that is not an integer) must not reach an answer. A value
// that fails is a miss, and the load that follows overwrites it.
type HitsCodec struct{ cache.CBORCodec[[]urlscan.Hit] }

// Unmarshal decodes and checks a search answer.
func (c HitsCodec) Unmarshal(b []byte) ([]urlscan.Hit, error) {
	hits, err := c.CBORCodec.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	if err := urlscan.CheckHits(hits); err != nil {
		return nil, fmt.Errorf("cache: search from the remote tier: %w", err)
	}
	return hits, nil
}

// ResultCodec is HitsCodec for result documents.
type ResultCodec struct {
	cache.CBORCodec[*urlscan.Result]
}

// Unmarshal decodes and checks a result document.
func (c ResultCodec) Unmarshal(b []byte) (*urlscan.Result, error) {
	r, err := c.CBORCodec.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	if err := urlscan.CheckResult(r); err != nil {
		return nil, fmt.Errorf("cache: result from the remote tier: %w", err)
	}
	return r, nil
}
