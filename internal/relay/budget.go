package relay

import (
	"context"
	"fmt"
	"math"
	"sync"

	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

// The result budget. Every hit becomes a sighting from the search answer
// alone; result documents (judgements, indicators, relationships and
// verdicts come from them) cost urlscan.io quota, one retrieval each, so a
// request fetches only:
//
//   - the documents of each observable's newest ResultsPerObservable hits,
//   - at most ResultsPerRequest of them across the request, shared out
//     rank by rank, newest first, so that every observable gets its newest
//     hits before any observable gets more,
//   - and no more than the key's result quota has left, when urlscan's
//     rate-limit headers told: the newest hits first, the rest answered as
//     sightings without judgements and one "too many requests" error.
//
// A document already in memory is free: it is used for any hit, and never
// counts against the budget. fetch brings the shared tier's documents into
// memory first, so those are free too. A hit left unexamined is a sighting and
// nothing else: no judgement, indicator or verdict says anything of it.

// quotaTeller is an Upstream that knows how many calls of an action an API
// key has left before urlscan.io refuses them.
type quotaTeller interface {
	Remaining(apiKey, action string) (n int64, known bool)
}

// budget is how many result documents one request may fetch.
type budget struct {
	perObs int // per observable
	perReq int // across the request, as configured
	quota  int // what the key's result quota has left (math.MaxInt: not known)
	// early is the number of newest hits every observable may fetch as soon
	// as its search answers, whatever the others' searches find: early ranks
	// of every observable fit both the request's budget and the quota.
	early int
}

// newBudget is the budget of a request about n observables.
func (s *Service) newBudget(apiKey string, n int) *budget {
	b := &budget{perObs: math.MaxInt, perReq: math.MaxInt, quota: math.MaxInt}
	if s.perObs > 0 {
		b.perObs = s.perObs
		if s.perReq > 0 {
			b.perReq = s.perReq
		}
	}
	if qt, ok := s.up.(quotaTeller); ok {
		if left, known := qt.Remaining(apiKey, urlscan.ActionResult); known {
			b.quota = int(min(left, math.MaxInt32))
		}
	}
	b.early = b.perObs
	if bound := min(b.perReq, b.quota); bound != math.MaxInt {
		b.early = min(b.early, bound/max(n, 1))
	}
	return b
}

// fetchShared shares out what the budget has left once every search has
// answered: rank by rank over the queued hits, observable by observable.
// A hit the budget would fetch but the quota cannot pay for is left
// unexamined; the error says how many were, or is nil.
func (s *Service) fetchShared(ctx context.Context, apiKey string, ls []lookup, g *gate, wg *sync.WaitGroup, b *budget) error {
	// The early fetches are under way already; they fit both bounds.
	var planned, unexamined int
	for i := range ls {
		planned += ls[i].fetching
	}
	fetched := planned
	for r := 0; b.early+r < b.perObs && planned < b.perReq; r++ {
		more := false
		for i := range ls {
			l := &ls[i]
			if r >= len(l.queue) {
				continue
			}
			more = true
			if planned == b.perReq {
				break
			}
			planned++
			if fetched < b.quota {
				fetched++
				s.fetchResult(ctx, apiKey, l, l.queue[r], g, wg)
			} else {
				unexamined++
			}
		}
		if !more {
			break
		}
	}
	if unexamined == 0 {
		return nil
	}
	return tr.New(tr.TooManyRequests, fmt.Sprintf(
		"The urlscan.io result quota of this key is nearly spent: %d %s left unexamined, %s no judgement. Please, try again later.",
		unexamined, plural(unexamined, "scan was", "scans were"), plural(unexamined, "its sighting carries", "their sightings carry")))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
