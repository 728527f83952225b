package cache

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Codec turns values into bytes for the remote tier and back.
type Codec[V any] interface {
	Marshal(V) ([]byte, error)
	Unmarshal([]byte) (V, error)
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

// CBORCodec is a Codec of CBOR (RFC 8949), through fxamacker/cbor, whose
// decoder is built for untrusted input: what Redis hands back is bounded in
// nesting, array and map sizes before any of it is kept, and the codecs of
// the values (relay.HitsCodec, relay.ResultCodec) then check their fields.
// Its decoding of the standard request's 44 cached values costs about a
// quarter of encoding/json's (BenchmarkCodecs in internal/relay).
type CBORCodec[V any] struct{}

var (
	// Times keep their nanoseconds and zone: a value read back from Redis
	// must answer with the bytes the value in memory answers with.
	cborEnc = must(cbor.EncOptions{Time: cbor.TimeRFC3339Nano}.EncMode())
	cborDec = must(cbor.DecOptions{MaxNestedLevels: 8, MaxArrayElements: 1 << 16, MaxMapPairs: 64}.DecMode())
)

// must panics at start-up on options cbor refuses: they are constants.
func must[M any](m M, err error) M {
	if err != nil {
		panic(err)
	}
	return m
}

// Marshal encodes v as CBOR.
func (CBORCodec[V]) Marshal(v V) ([]byte, error) {
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cache: cbor encode: %w", err)
	}
	return b, nil
}

// Unmarshal decodes CBOR into a new V.
func (CBORCodec[V]) Unmarshal(b []byte) (V, error) {
	var v V
	if err := cborDec.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("cache: cbor decode: %w", err)
	}
	return v, nil
}
