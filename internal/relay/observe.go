package relay

import (
	"context"
	"time"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// Observe looks obs up on urlscan.io and maps what it finds onto CTIM: a
// sighting per search hit, a judgement per malicious scan, an indicator per
// verdict category with its relationships, and a verdict per judged
// observable. limit caps the hits looked at per observable; the result
// budget (budget.go) caps the result documents fetched. The errors are one
// per failed search or result document, and one for the scans a nearly
// spent quota left unexamined; whatever was gathered besides them is still
// returned.
func (s *Service) Observe(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.ObserveData, []error) {
	obs = Normalize(obs)
	if len(obs) == 0 {
		return ctim.ObserveData{}, nil
	}
	ls, quotaErr, cutErr := s.judge(ctx, apiKey, obs, limit)
	data, errs := s.observeData(ls)
	for _, err := range []error{quotaErr, cutErr} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return data, errs
}

// judge looks obs up with their result documents, within the answer's
// bound and the result budget, and notes them for the verdicts tile; it
// returns the lookups, the error of the scans a nearly spent quota left
// unexamined, and the warning of an answer held to less than limit
// (either nil), which observe and deliberate each place in their answer.
func (s *Service) judge(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ls []lookup, quotaErr, cutErr error) {
	limit = effectiveLimit(limit)
	share := s.answerShare(limit, len(obs))
	ls, quotaErr = s.fetch(ctx, apiKey, obs, share, true)
	s.note(apiKey, ls)
	return ls, quotaErr, s.answerCut(ls, share, limit)
}

// observeData maps the lookups onto an observe answer, in lookup order.
func (s *Service) observeData(ls []lookup) (ctim.ObserveData, []error) {
	var nhits int
	for i := range ls {
		nhits += len(ls[i].hits)
	}
	var (
		errs       []error
		sightings  = make([]ctim.Sighting, 0, nhits)
		judgements []ctim.Judgement
		verdicts   []ctim.Verdict
		inds       indicators
	)
	for i := range ls {
		l := &ls[i]
		errs = append(errs, l.errs()...)
		times := s.hitTimes(l)
		newest := newestMalicious(l, times)
		for j := range l.hits {
			sg := s.sighting(l.obs, &l.hits[j], times[j])
			sightings = append(sightings, sg)
			r := l.result(j)
			if r == nil || !r.Malicious {
				continue
			}
			jd := s.judgement(l.obs, r, times[j])
			judgements = append(judgements, jd)
			inds.add(r, sg.ID)
			if j == newest {
				verdicts = append(verdicts, verdict(l.obs, jd.ValidTime, jd.ID))
			}
		}
	}
	return ctim.ObserveData{
		Sightings:     ctim.NewDocs(sightings),
		Judgements:    ctim.NewDocs(judgements),
		Indicators:    ctim.NewDocs(inds.docs),
		Relationships: ctim.NewDocs(s.relationships(&inds)),
		Verdicts:      ctim.NewDocs(verdicts),
	}, errs
}

// Deliberate answers the verdicts Observe would, without the other kinds.
// The verdicts carry no judgement_id: the judgement they would name is not
// part of the answer, so the id would point at nothing.
func (s *Service) Deliberate(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) (ctim.DeliberateData, []error) {
	obs = Normalize(obs)
	if len(obs) == 0 {
		return ctim.DeliberateData{}, nil
	}
	ls, quotaErr, cutErr := s.judge(ctx, apiKey, obs, limit)
	var (
		errs     []error
		verdicts []ctim.Verdict
	)
	if cutErr != nil {
		errs = append(errs, cutErr)
	}
	for i := range ls {
		l := &ls[i]
		errs = append(errs, l.errs()...)
		times := s.hitTimes(l)
		if j := newestMalicious(l, times); j >= 0 {
			verdicts = append(verdicts, verdict(l.obs, judgementValidTime(l.result(j), times[j]), ""))
		}
	}
	if quotaErr != nil {
		errs = append(errs, quotaErr)
	}
	return ctim.DeliberateData{Verdicts: ctim.NewDocs(verdicts)}, errs
}

// effectiveLimit is the sightings and judgements per observable of a
// caller's limit: a caller that asks for no positive limit gets what a
// token without CTR_ENTITIES_LIMIT gets (PROTOCOL.md §3, step 8).
func effectiveLimit(limit int) int {
	if limit <= 0 {
		return config.DefaultEntitiesLimit
	}
	return limit
}

// result returns the result document of hit j, nil when there is none.
func (l *lookup) result(j int) *urlscan.Result {
	if j >= len(l.results) {
		return nil
	}
	return l.results[j]
}

// hitTimes returns when each hit of l was seen, computed once so that a
// sighting, its judgement and the verdict agree even when the clock is the
// fallback.
func (s *Service) hitTimes(l *lookup) []time.Time {
	times := make([]time.Time, len(l.hits))
	for j := range l.hits {
		times[j] = s.sightingTime(&l.hits[j], l.result(j))
	}
	return times
}

// newestMalicious returns the index of the hit of l whose scan is the newest
// malicious one (the first of equals, in output order), or -1.
func newestMalicious(l *lookup, times []time.Time) int {
	best := -1
	for j := range l.hits {
		r := l.result(j)
		if r == nil || !r.Malicious {
			continue
		}
		if best < 0 || times[j].After(times[best]) {
			best = j
		}
	}
	return best
}

// verdict is the relay's disposition of o, taken from one judgement.
func verdict(o ctim.Observable, vt ctim.ValidTime, judgementID string) ctim.Verdict {
	return ctim.Verdict{
		Type:            "verdict",
		Observable:      o,
		Disposition:     dispositionMalicious,
		DispositionName: dispositionName,
		ValidTime:       vt,
		JudgementID:     judgementID,
	}
}
