package relay

import "urlscan-relay/internal/urlscan"

// LookupNoter is told of every observable looked up, and whether the relay
// found it malicious (implemented by *lookups.Tally, for the verdicts
// tile).
type LookupNoter interface {
	Note(keyID, typ, value string, malicious bool)
}

// note tells s's noter of each lookup whose search answered.
func (s *Service) note(apiKey string, ls []lookup) {
	if s.noter == nil {
		return
	}
	keyID := urlscan.KeyID(apiKey)
	for i := range ls {
		l := &ls[i]
		if l.searchErr != nil {
			continue
		}
		malicious := false
		for _, r := range l.results {
			if r != nil && r.Malicious {
				malicious = true
				break
			}
		}
		s.noter.Note(keyID, l.obs.Type, l.obs.Value, malicious)
	}
}
