package cache

import (
	"encoding/binary"
	"errors"
)

// Codec turns values into bytes for the remote tier and back. Unmarshal
// reads what Redis hands back, which is untrusted: the relay's codecs
// (relay.HitsCodec, relay.ResultCodec) refuse what they did not write and
// check the fields of the rest.
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
