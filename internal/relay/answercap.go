package relay

import (
	"fmt"

	"urlscan-relay/internal/tr"
)

// DefaultMaxAnswerHits bounds the search hits one observe or deliberate
// answer is built from, across all its observables: each hit is a
// sighting (and, when malicious, a judgement) of about 1.3 KB of JSON, so
// 10,000 of them make an answer of some 15-25 MB. Without it, 200
// observables at CTR_ENTITIES_LIMIT=1000 made one answer of 200,000
// sightings (253 MiB) and nearly a gigabyte of memory.
const DefaultMaxAnswerHits = 10000

// answerShare is the hits each of n observables may contribute when each
// asks for limit: limit while n*limit fits the answer's bound, else an
// equal share of it (at least one). Equal shares keep the answer the same
// whatever order urlscan.io answers in.
func (s *Service) answerShare(limit, n int) int {
	if n == 0 || limit <= s.maxHits/n {
		return limit
	}
	return max(1, s.maxHits/n)
}

// answerCut is the warning of an answer whose observables were held to
// share hits instead of limit, or nil when none reached its share (none
// lost anything).
func (s *Service) answerCut(ls []lookup, share, limit int) error {
	if share >= limit {
		return nil
	}
	full := 0
	for i := range ls {
		if len(ls[i].hits) >= share {
			full++
		}
	}
	if full == 0 {
		return nil
	}
	return tr.Warn(tr.TooManyEntities, fmt.Sprintf(
		"The answer holds at most %d sightings: %d per observable for the %d observables asked about, instead of %d; %d of them may have more.",
		s.maxHits, share, len(ls), limit, full))
}
