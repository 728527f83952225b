package relay

import (
	"slices"

	"github.com/google/uuid"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// indicators collects one indicator per verdict category over a whole
// answer, in order of first appearance, with the sightings each indicates.
type indicators struct {
	docs      []ctim.Indicator
	index     map[string]int // category → position in docs and sightings
	sightings [][]string     // ids of the sightings each indicator indicates
}

// add records that the scan behind sighting sightingID has r's categories.
func (in *indicators) add(r *urlscan.Result, sightingID string) {
	for k, c := range r.Categories {
		// A category listed twice in one result indicates its sighting once.
		if c == "" || slices.Contains(r.Categories[:k], c) {
			continue
		}
		i, ok := in.index[c]
		if !ok {
			if in.index == nil {
				in.index = make(map[string]int)
			}
			i = len(in.docs)
			in.index[c] = i
			in.docs = append(in.docs, indicator(c, r.Tags))
			in.sightings = append(in.sightings, nil)
		}
		in.sightings[i] = append(in.sightings[i], sightingID)
	}
}

// indicator is the indicator of a verdict category. Its id derives from the
// category alone, so the same category keeps one id across answers.
func indicator(category string, tags []string) ctim.Indicator {
	desc := "Classified as " + category
	return ctim.Indicator{
		ID:               "transient:indicator-" + uuid.NewSHA1(uuid.NameSpaceX500, []byte(category)).String(),
		Type:             "indicator",
		SchemaVersion:    ctim.SchemaVersion,
		Producer:         ctim.Source,
		Confidence:       confidenceHigh,
		Title:            category,
		Tags:             append([]string{}, tags...),
		Description:      desc,
		ShortDescription: desc,
	}
}

// relationships links each indicator to the sightings it indicates,
// grouped by indicator in indicator order.
func (s *Service) relationships(in *indicators) []ctim.Relationship {
	var n int
	for _, ids := range in.sightings {
		n += len(ids)
	}
	if n == 0 {
		return nil
	}
	rels := make([]ctim.Relationship, 0, n)
	for i, ids := range in.sightings {
		for _, id := range ids {
			rels = append(rels, ctim.Relationship{
				ID:               s.transientID("relationship"),
				Type:             "relationship",
				SchemaVersion:    ctim.SchemaVersion,
				RelationshipType: "indicates",
				SourceRef:        in.docs[i].ID,
				TargetRef:        id,
			})
		}
	}
	return rels
}
