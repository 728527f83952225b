package scans

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"urlscan-relay/internal/urlscan"
)

// Bounds of one record, which is read back from a store shared with other
// replicas and so is untrusted: a record past them is skipped.
const (
	MaxRecordBytes = 8 << 10
	maxURLBytes    = 2048
	maxQueries     = 4
	maxQueryBytes  = 2200
)

var errRecord = errors.New("scans: invalid record")

// encodeRecord is the stored form of s.
func encodeRecord(s Scan) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("scans: encoding record: %w", err)
	}
	return b, nil
}

// decodeRecord reads a stored record and checks every field, since a
// shared store may hold anything: an id that could not be put in a URL
// path, a state the relay does not know, oversized fields, a time that is
// not one.
func decodeRecord(b []byte) (Scan, error) {
	if len(b) > MaxRecordBytes {
		return Scan{}, fmt.Errorf("%w: %d bytes", errRecord, len(b))
	}
	var s Scan
	if err := json.Unmarshal(b, &s); err != nil {
		return Scan{}, fmt.Errorf("%w: %v", errRecord, err)
	}
	if err := s.valid(); err != nil {
		return Scan{}, err
	}
	return s, nil
}

func (s *Scan) valid() error {
	switch {
	case !urlscan.ValidScanID(s.ID):
		return fmt.Errorf("%w: id", errRecord)
	case s.Submitted.IsZero() || s.Submitted.Year() < 2000 || s.Submitted.Year() > 9999:
		return fmt.Errorf("%w: time", errRecord)
	case len(s.URL) > maxURLBytes:
		return fmt.Errorf("%w: url", errRecord)
	case s.Visibility != "private" && s.Visibility != "unlisted" && s.Visibility != "public":
		return fmt.Errorf("%w: visibility", errRecord)
	case s.State.rank() == 0:
		return fmt.Errorf("%w: state", errRecord)
	case len(s.Queries) > maxQueries:
		return fmt.Errorf("%w: queries", errRecord)
	}
	for _, q := range s.Queries {
		if q == "" || len(q) > maxQueryBytes {
			return fmt.Errorf("%w: query", errRecord)
		}
	}
	s.Submitted = s.Submitted.UTC()
	return nil
}

// merge returns what two records of one scan say together: the furthest
// state, with its verdict.
func merge(a, b Scan) Scan {
	if b.State.rank() > a.State.rank() {
		return b
	}
	return a
}

// keepSince drops the scans submitted before since and keeps the newest
// max, newest first; ss must already be newest first.
func keepSince(ss []Scan, since time.Time, max int) []Scan {
	out := ss[:0]
	for _, s := range ss {
		if s.Submitted.Before(since) {
			continue
		}
		out = append(out, s)
		if len(out) == max {
			break
		}
	}
	return out
}
