package cache

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Codec turns values into bytes for the remote tier and back.
type Codec[V any] interface {
	Marshal(V) ([]byte, error)
	Unmarshal([]byte) (V, error)
}

// JSONCodec is a Codec that uses encoding/json; it suits the small decoded
// values the relay caches (mapped fields, never raw urlscan bodies).
type JSONCodec[V any] struct{}

// Marshal encodes v as JSON.
func (JSONCodec[V]) Marshal(v V) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cache: json encode: %w", err)
	}
	return b, nil
}

// Unmarshal decodes JSON into a new V.
func (JSONCodec[V]) Unmarshal(b []byte) (V, error) {
	var v V
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("cache: json decode: %w", err)
	}
	return v, nil
}

// The remote tier stores an envelope around the codec's bytes: a version
// byte and the absolute expiry (Unix milliseconds, big-endian). The expiry
// travels with the value so that a replica which reads it late keeps it in
// memory only for what is left of its life, not for a fresh TTL; without it
// a value could outlive its TTL by up to another TTL.
const (
	envelopeVersion = 1
	envelopeHeader  = 1 + 8
)

var errEnvelope = errors.New("cache: remote value has an unknown envelope")

func seal(payload []byte, expiresAtMs int64) []byte {
	b := make([]byte, envelopeHeader+len(payload))
	b[0] = envelopeVersion
	binary.BigEndian.PutUint64(b[1:envelopeHeader], uint64(expiresAtMs))
	copy(b[envelopeHeader:], payload)
	return b
}

func open(b []byte) (payload []byte, expiresAtMs int64, err error) {
	if len(b) < envelopeHeader || b[0] != envelopeVersion {
		return nil, 0, errEnvelope
	}
	return b[envelopeHeader:], int64(binary.BigEndian.Uint64(b[1:envelopeHeader])), nil
}
