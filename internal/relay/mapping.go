package relay

import (
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/urlscan"
)

// The CTIM values the original relay used and SecureX users know.
const (
	timeLayout           = "2006-01-02T15:04:05.000000Z"
	judgementValidity    = 7 * 24 * time.Hour
	confidenceHigh       = "High"
	dispositionMalicious = 2
	dispositionName      = "Malicious"
	relationOrigin       = "urlscan.io Module"
)

// formatTime prints t the way the original relay did: UTC, microseconds.
func formatTime(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(timeLayout)
	}
	// By hand: an answer prints some 160 times, and time.Format's layout
	// interpretation was a visible share of a warm request.
	h, mi, sec := t.Clock()
	var b [27]byte
	put := func(i, v, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/1000, 6)
	b[26] = 'Z'
	return string(b[:])
}

// sightingTime is when a hit was seen. A hit without task.time falls back
// to its result's task.time (the same scan seen from the other endpoint),
// and failing that to now: CTIM requires an observed time, and "just now"
// is the least misleading stand-in for a scan urlscan.io still lists.
func (s *Service) sightingTime(h *urlscan.Hit, r *urlscan.Result) time.Time {
	switch {
	case !h.Time.IsZero():
		return h.Time
	case r != nil && !r.Time.IsZero():
		return r.Time
	default:
		return s.now()
	}
}

// sighting maps one search hit, seen at t, onto a CTIM sighting of o.
func (s *Service) sighting(o ctim.Observable, h *urlscan.Hit, t time.Time) ctim.Sighting {
	at := formatTime(t)
	sg := ctim.Sighting{
		ID:            s.transientID("sighting"),
		Type:          "sighting",
		SchemaVersion: ctim.SchemaVersion,
		Source:        ctim.Source,
		Confidence:    confidenceHigh,
		Count:         1,
		Description:   "Scan Result",
		Observables:   []ctim.Observable{o},
		ObservedTime:  ctim.ObservedTime{StartTime: at, EndTime: at},
		ExternalIDs:   []string{},
		Data:          statsTable(h.Stats),
		Relations:     relations(h.Page),
	}
	if h.ID != "" {
		sg.ExternalIDs = []string{h.ID}
		// The report page without its trailing slash, as the original
		// relay sent it.
		sg.SourceURI = strings.TrimSuffix(urlscan.ResultURL(s.ui, h.ID), "/")
	}
	return sg
}

// statsTable turns a hit's stats into a one-row table, columns in the order
// urlscan.io sent them. Empty stats ({}) are the original's table of no
// columns and one empty row; a hit without stats (nil) has no table.
func statsTable(stats []urlscan.Stat) *ctim.Table {
	if stats == nil {
		return nil
	}
	cols := make([]ctim.Column, len(stats))
	row := make([]json.Number, len(stats))
	for i, st := range stats {
		cols[i] = ctim.Column{Name: st.Name, Type: "integer"}
		row[i] = st.Value
	}
	return &ctim.Table{Columns: cols, Rows: [][]json.Number{row}}
}

// relations links the page a scan landed on: url Contains domain, domain
// Resolved_To ip, url Hosted_By ip, each only when both ends are known.
func relations(p urlscan.Page) []ctim.Relation {
	rels := make([]ctim.Relation, 0, 3)
	u := ctim.Observable{Type: "url", Value: p.URL}
	d := ctim.Observable{Type: "domain", Value: p.Domain}
	ip := ctim.Observable{Type: ipType(p.IP), Value: p.IP}
	if u.Value != "" && d.Value != "" {
		rels = append(rels, relation(u, "Contains", d))
	}
	if d.Value != "" && ip.Value != "" {
		rels = append(rels, relation(d, "Resolved_To", ip))
	}
	if u.Value != "" && ip.Value != "" {
		rels = append(rels, relation(u, "Hosted_By", ip))
	}
	return rels
}

func relation(src ctim.Observable, kind string, related ctim.Observable) ctim.Relation {
	return ctim.Relation{Origin: relationOrigin, Relation: kind, Source: src, Related: related}
}

// ipType is the CTIM type of an address: ipv6 when it parses as IPv6
// (an IPv4-mapped address included), ip otherwise.
func ipType(v string) string {
	if a, err := netip.ParseAddr(v); err == nil && a.Is6() {
		return "ipv6"
	}
	return "ip"
}

// judgement maps a malicious result onto a CTIM judgement of o. seen is the
// sighting's time, used when the result carries no task.time of its own.
func (s *Service) judgement(o ctim.Observable, r *urlscan.Result, seen time.Time) ctim.Judgement {
	return ctim.Judgement{
		ID:                 s.transientID("judgement"),
		Type:               "judgement",
		SchemaVersion:      ctim.SchemaVersion,
		Source:             ctim.Source,
		SourceURI:          r.ReportURL,
		Confidence:         confidenceHigh,
		Severity:           confidenceHigh,
		Disposition:        dispositionMalicious,
		DispositionName:    dispositionName,
		Priority:           85,
		Observable:         o,
		ValidTime:          judgementValidTime(r, seen),
		Reason:             strings.Join(r.Tags, ", "),
		ExternalReferences: externalReferences(r),
	}
}

// judgementValidTime is a week from the scan's time.
func judgementValidTime(r *urlscan.Result, seen time.Time) ctim.ValidTime {
	start := r.Time
	if start.IsZero() {
		start = seen
	}
	return ctim.ValidTime{
		StartTime: formatTime(start),
		EndTime:   formatTime(start.Add(judgementValidity)),
	}
}

// externalReferences points at the scan's DOM, screenshot and report, in
// that order, leaving out the ones the result lacks.
func externalReferences(r *urlscan.Result) []ctim.ExternalReference {
	refs := make([]ctim.ExternalReference, 0, 3)
	for _, f := range [...]struct{ name, url string }{
		{"domURL", r.DomURL},
		{"screenshotURL", r.ScreenshotURL},
		{"reportURL", r.ReportURL},
	} {
		if f.url != "" {
			refs = append(refs, ctim.ExternalReference{SourceName: ctim.Source, Description: f.name, URL: f.url})
		}
	}
	return refs
}
