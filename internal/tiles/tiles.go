// Package tiles answers SecureX's dashboard API for the relay: the tiles
// it offers and their data per period, in the shapes Cisco's own relays
// answer (a tile's description; a tile's data with its observed and valid
// time).
package tiles

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"urlscan-relay/internal/tr"
)

// Period is a dashboard period SecureX asks for.
type Period struct {
	Name string
	Span time.Duration
}

// Periods are the periods every tile offers, shortest first.
var periods = []Period{
	{"last_hour", time.Hour},
	{"last_24_hours", 24 * time.Hour},
	{"last_7_days", 7 * 24 * time.Hour},
	{"last_30_days", LongestPeriod},
}

// LongestPeriod is the span of the longest period: what the relay keeps
// for the tiles is never needed for longer.
const LongestPeriod = 30 * 24 * time.Hour

const defaultPeriod = "last_24_hours"

func periodNames() []string {
	out := make([]string, len(periods))
	for i, p := range periods {
		out[i] = p.Name
	}
	return out
}

// period returns the period named name, or an "invalid argument".
func period(name string) (Period, error) {
	for _, p := range periods {
		if p.Name == name {
			return p, nil
		}
	}
	return Period{}, tr.New(tr.InvalidArgument, fmt.Sprintf("Invalid period %q: one of %s.", name, strings.Join(periodNames(), ", ")))
}

// Tile is a tile's description, as POST /tiles lists it.
type Tile struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	Title            string   `json:"title"`
	Tags             []string `json:"tags"`
	Description      string   `json:"description"`
	ShortDescription string   `json:"short_description"`
	Periods          []string `json:"periods"`
	DefaultPeriod    string   `json:"default_period"`
}

// TimeRange is a tile's observed or valid time.
type TimeRange struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// Data is a tile's data for one period, as POST /tiles/tile-data answers.
type Data struct {
	ObservedTime TimeRange  `json:"observed_time"`
	ValidTime    TimeRange  `json:"valid_time"`
	CacheScope   string     `json:"cache_scope"`
	HideLegend   bool       `json:"hide_legend"`
	LabelHeaders []string   `json:"label_headers,omitempty"`
	Labels       [][]string `json:"labels,omitempty"`
	Data         any        `json:"data"`
}

// kind is one tile: its description and how its data is made.
type kind struct {
	tile Tile
	data func(ctx context.Context, apiKey string, p Period, now time.Time) (Data, error)
}

// Service holds the tiles.
type Service struct {
	kinds []kind
	now   func() time.Time
}

// Deps is what the tiles read.
type Deps struct {
	Quotas  QuotaReader // the key's quotas (urlscan.io's quotas endpoint)
	Scans   ScanLister  // the scans submitted through the relay
	Lookups Counter     // the observables looked up, by verdict
	UIURL   string      // URLSCAN_UI_URL, for links to reports
	Now     func() time.Time
}

// New returns the tiles on d.
func New(d Deps) *Service {
	s := &Service{now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.kinds = []kind{
		quotaTile(d.Quotas),
		recentScansTile(d.Scans, strings.TrimRight(d.UIURL, "/")),
		verdictsTile(d.Lookups),
	}
	return s
}

func describe(id, typ, title, desc, short string) Tile {
	return Tile{
		ID: id, Type: typ, Title: title, Tags: []string{"urlscan.io", id},
		Description: desc, ShortDescription: short,
		Periods: periodNames(), DefaultPeriod: defaultPeriod,
	}
}

// List returns every tile's description.
func (s *Service) List() []Tile {
	out := make([]Tile, len(s.kinds))
	for i, k := range s.kinds {
		out[i] = k.tile
	}
	return out
}

func (s *Service) kind(id string) (*kind, error) {
	i := slices.IndexFunc(s.kinds, func(k kind) bool { return k.tile.ID == id })
	if i < 0 {
		return nil, tr.New(tr.InvalidArgument, fmt.Sprintf("Invalid tile id %q.", id))
	}
	return &s.kinds[i], nil
}

// Tile returns the description of tile id, or an "invalid argument".
func (s *Service) Tile(id string) (Tile, error) {
	k, err := s.kind(id)
	if err != nil {
		return Tile{}, err
	}
	return k.tile, nil
}

// Data returns tile id's data for the period named periodName, for the
// tenant of apiKey.
func (s *Service) Data(ctx context.Context, apiKey, id, periodName string) (Data, error) {
	k, err := s.kind(id)
	if err != nil {
		return Data{}, err
	}
	p, err := period(periodName)
	if err != nil {
		return Data{}, err
	}
	now := s.now().UTC()
	d, err := k.data(ctx, apiKey, p, now)
	if err != nil {
		return Data{}, err
	}
	r := TimeRange{StartTime: formatTime(now.Add(-p.Span)), EndTime: formatTime(now)}
	if d.ObservedTime == (TimeRange{}) {
		d.ObservedTime = r
	}
	if d.ValidTime == (TimeRange{}) {
		d.ValidTime = r
	}
	// Each tenant's data is its own: SecureX must not share it.
	d.CacheScope = "user"
	return d, nil
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
