// Package scans keeps the book of scans submitted through the relay, per
// API key: what was submitted, when, for which searches, and what became
// of it. The relay's follow-up writes it, observe and deliberate read it
// to show a finished scan before urlscan.io's search lists it, and the
// recent-scans tile lists it. It lives in memory, bounded, and is shared
// through an optional remote log (Redis) that every replica reads.
package scans

import (
	"slices"
	"time"
)

// State is how far a submitted scan has got.
type State string

// The states of a scan, in the order they are reached.
const (
	Pending State = "pending" // submitted; no result yet
	Expired State = "expired" // followed for SCAN_WAIT without a result
	Done    State = "done"    // finished: its result is known
	Gone    State = "gone"    // urlscan.io does not know the scan
)

// rank orders states so that a merge keeps the furthest one.
func (s State) rank() int {
	switch s {
	case Pending:
		return 1
	case Expired:
		return 2
	case Done, Gone:
		return 3
	}
	return 0
}

// Scan is one submission made through the relay.
type Scan struct {
	ID         string    `json:"id"`  // urlscan.io's uuid
	Submitted  time.Time `json:"at"`  // when the relay submitted it
	URL        string    `json:"url"` // what urlscan.io was asked to visit
	Visibility string    `json:"vis"` // private, unlisted or public
	// Queries are the urlscan.io searches (relay.SearchQuery) whose
	// answers the scan belongs in: the observable's, and for a URL its
	// domain's.
	Queries   []string `json:"q"`
	State     State    `json:"state"`
	Malicious bool     `json:"mal,omitempty"` // urlscan.io's overall verdict, once Done
}

// Answers reports whether the scan belongs in the answer to query.
func (s *Scan) Answers(query string) bool { return slices.Contains(s.Queries, query) }
