package relay

import (
	"context"
	"net/url"

	"urlscan-relay/internal/ctim"
)

// Refer returns links into urlscan.io's UI for each observable urlscan.io
// has at least one scan of: a browse page (ip, ipv6, domain, hostname) and
// a search (every type). It searches with the same size as Observe so that
// a cache answers both from one entry. The errors are one per failed search.
func (s *Service) Refer(ctx context.Context, apiKey string, obs []ctim.Observable, limit int) ([]ctim.Reference, []error) {
	// Never nil: the answer is a JSON list even when it is empty.
	refs := []ctim.Reference{}
	obs = Normalize(obs)
	if len(obs) == 0 {
		return refs, nil
	}
	ls := s.fetch(ctx, apiKey, obs, effectiveLimit(limit), false)

	var errs []error
	for i := range ls {
		l := &ls[i]
		errs = append(errs, l.errs()...)
		if len(l.hits) == 0 {
			continue
		}
		refs = s.appendReferences(refs, l.obs)
	}
	return refs, errs
}

// appendReferences appends o's browse and search references to refs.
func (s *Service) appendReferences(refs []ctim.Reference, o ctim.Observable) []ctim.Reference {
	desc := "Check this " + o.Type + " status with urlscan.io"
	id := o.Type + "-" + percentEncode(o.Value)
	if page := browsePage(o.Type); page != "" {
		refs = append(refs, ctim.Reference{
			ID:          "ref-urlscan-browse-" + id,
			Title:       "Browse " + o.Type,
			Description: desc,
			URL:         s.ui + "/" + page + "/" + url.PathEscape(o.Value),
			Categories:  []string{"Browse", "urlscan.io"},
		})
	}
	if q := uiSearchQuery(o.Type, o.Value); q != "" {
		refs = append(refs, ctim.Reference{
			ID:          "ref-urlscan-search-" + id,
			Title:       "Search for this " + o.Type,
			Description: desc,
			// The fragment stays as it is: urlscan.io's page reads it
			// verbatim, and the original relay sent it so.
			URL:        s.ui + "/search/#" + q,
			Categories: []string{"Search", "urlscan.io"},
		})
	}
	return refs
}

// browsePage is the urlscan.io UI page that lists scans of an observable
// type, or "" for types it has none for.
func browsePage(typ string) string {
	switch typ {
	case "ip", "ipv6":
		return "ip"
	case "domain", "hostname":
		return "domain"
	}
	return ""
}

// uiSearchQuery is the query urlscan.io's search page takes for an
// observable (it differs from the API's), or "" for an unsupported type.
func uiSearchQuery(typ, v string) string {
	switch typ {
	case "ip", "ipv6":
		return `ip:"` + v + `"`
	case "domain", "hostname":
		return "domain:" + v
	case "url":
		return `"` + v + `"`
	case "sha256":
		return "hash:" + v
	}
	return ""
}
