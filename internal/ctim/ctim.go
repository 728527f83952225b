// Package ctim holds the Cisco Threat Intelligence Model entities the relay
// answers with. It has no I/O and depends on nothing in the relay.
package ctim

import "encoding/json"

// SchemaVersion is the CTIM schema version of every entity the relay makes.
const SchemaVersion = "1.0.17"

// Source is the CTIM source, producer and source_name of every entity.
const Source = "urlscan.io"

// Observable is a thing an analyst investigates: an IP, a domain, a URL...
type Observable struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ValidTime is a CTIM validity window; an empty one encodes as {}.
type ValidTime struct {
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// ObservedTime is when a sighting was seen.
type ObservedTime struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// Relation links two observables seen together in a sighting.
type Relation struct {
	Origin   string     `json:"origin"`
	Relation string     `json:"relation"`
	Source   Observable `json:"source"`
	Related  Observable `json:"related"`
}

// Column is one column of a sighting's data table.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Table is a sighting's data table.
type Table struct {
	Columns []Column        `json:"columns"`
	Rows    [][]json.Number `json:"rows"`
}

// ExternalReference points at a urlscan.io page about a judgement.
type ExternalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// Sighting says urlscan.io saw the observable in one scan.
type Sighting struct {
	ID            string       `json:"id"`
	Type          string       `json:"type"`
	SchemaVersion string       `json:"schema_version"`
	Source        string       `json:"source"`
	SourceURI     string       `json:"source_uri,omitempty"`
	Confidence    string       `json:"confidence"`
	Internal      bool         `json:"internal"`
	Count         int          `json:"count"`
	Description   string       `json:"description"`
	Observables   []Observable `json:"observables"`
	ObservedTime  ObservedTime `json:"observed_time"`
	ExternalIDs   []string     `json:"external_ids"`
	Data          *Table       `json:"data,omitempty"`
	Relations     []Relation   `json:"relations"`
}

// Judgement says urlscan.io judged the observable malicious in one scan.
type Judgement struct {
	ID                 string              `json:"id"`
	Type               string              `json:"type"`
	SchemaVersion      string              `json:"schema_version"`
	Source             string              `json:"source"`
	SourceURI          string              `json:"source_uri,omitempty"`
	Confidence         string              `json:"confidence"`
	Severity           string              `json:"severity"`
	Disposition        int                 `json:"disposition"`
	DispositionName    string              `json:"disposition_name"`
	Priority           int                 `json:"priority"`
	Observable         Observable          `json:"observable"`
	ValidTime          ValidTime           `json:"valid_time"`
	Reason             string              `json:"reason"`
	ExternalReferences []ExternalReference `json:"external_references"`
}

// Indicator names a urlscan.io verdict category.
type Indicator struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	SchemaVersion    string    `json:"schema_version"`
	Producer         string    `json:"producer"`
	Confidence       string    `json:"confidence"`
	ValidTime        ValidTime `json:"valid_time"`
	Title            string    `json:"title"`
	Tags             []string  `json:"tags"`
	Description      string    `json:"description"`
	ShortDescription string    `json:"short_description"`
}

// Relationship says an indicator indicates a sighting.
type Relationship struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	SchemaVersion    string `json:"schema_version"`
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// Verdict is the relay's overall disposition of one observable. Its shape
// follows what the original relay's SecureX consumers read: no id and no
// schema_version.
type Verdict struct {
	Type            string     `json:"type"`
	Observable      Observable `json:"observable"`
	Disposition     int        `json:"disposition"`
	DispositionName string     `json:"disposition_name"`
	ValidTime       ValidTime  `json:"valid_time"`
	JudgementID     string     `json:"judgement_id,omitempty"`
}

// Docs is a counted list of entities of one kind.
type Docs[T any] struct {
	Count int `json:"count"`
	Docs  []T `json:"docs"`
}

// NewDocs returns the counted list of docs, or nil when there are none so
// that the kind is left out of the answer.
func NewDocs[T any](docs []T) *Docs[T] {
	if len(docs) == 0 {
		return nil
	}
	return &Docs[T]{Count: len(docs), Docs: docs}
}

// ObserveData is the data of an observe answer; kinds with no docs are left out.
type ObserveData struct {
	Sightings     *Docs[Sighting]     `json:"sightings,omitempty"`
	Judgements    *Docs[Judgement]    `json:"judgements,omitempty"`
	Indicators    *Docs[Indicator]    `json:"indicators,omitempty"`
	Relationships *Docs[Relationship] `json:"relationships,omitempty"`
	Verdicts      *Docs[Verdict]      `json:"verdicts,omitempty"`
}

// DeliberateData is the data of a deliberate answer: verdicts only.
type DeliberateData struct {
	Verdicts *Docs[Verdict] `json:"verdicts,omitempty"`
}

// Reference is a pivot link into urlscan.io (refer answers).
type Reference struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	URL         string   `json:"url"`
	Categories  []string `json:"categories"`
}

// Action is a response action the analyst can trigger (respond answers).
type Action struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Categories  []string          `json:"categories"`
	QueryParams map[string]string `json:"query-params"`
}
