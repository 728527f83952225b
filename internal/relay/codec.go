package relay

import (
	"fmt"

	"urlscan-relay/internal/cache"
	"urlscan-relay/internal/urlscan"
)

// HitsCodec encodes cached search answers for the shared tier (in the
// layout of wire.go), and holds what it reads back to the bounds of an
// urlscan.io answer: Redis is outside the process, and a value planted
// there (a hit id shaped like a path, a stat that is not an integer) must
// not reach an answer. A value that fails is a miss, and the load that
// follows overwrites it.
type HitsCodec struct{}

// Marshal encodes a search answer.
func (HitsCodec) Marshal(hits []urlscan.Hit) ([]byte, error) {
	return appendHits(make([]byte, 0, 256*len(hits)), hits), nil
}

// Unmarshal decodes and checks a search answer.
func (HitsCodec) Unmarshal(b []byte) ([]urlscan.Hit, error) {
	hits, err := readHits(b)
	if err != nil {
		return nil, err
	}
	if err := urlscan.CheckHits(hits); err != nil {
		return nil, fmt.Errorf("cache: search from the remote tier: %w", err)
	}
	return hits, nil
}

// ResultCodec is HitsCodec for result documents.
type ResultCodec struct{}

// Marshal encodes a result summary; a deleted scan's nil is the empty value.
func (ResultCodec) Marshal(r *urlscan.Result) ([]byte, error) {
	return appendResult(make([]byte, 0, 512), r), nil
}

// Unmarshal decodes and checks a result document.
func (ResultCodec) Unmarshal(b []byte) (*urlscan.Result, error) {
	r, err := readResult(b)
	if err != nil {
		return nil, err
	}
	if err := urlscan.CheckResult(r); err != nil {
		return nil, fmt.Errorf("cache: result from the remote tier: %w", err)
	}
	return r, nil
}

// The codecs are the caches' Codecs.
var (
	_ cache.Codec[[]urlscan.Hit]   = HitsCodec{}
	_ cache.Codec[*urlscan.Result] = ResultCodec{}
)
