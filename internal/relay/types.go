package relay

import (
	"fmt"
	"strings"

	"urlscan-relay/internal/urlscan"
)

// observableType is everything the relay knows of one observable type: how
// urlscan.io's API searches for it, where urlscan.io's UI pivots to it and
// how urlscan.io would scan it. observableTypes is the only place that
// says it.
type observableType struct {
	name string // lower-case, as CTIM spells it
	// searchField is the urlscan.io API field the value is matched on as a
	// phrase (PROTOCOL.md §4). A url is matched exactly: page.url is
	// analysed text, and a phrase query on it also finds every other URL
	// that contains the value.
	searchField string
	// browsePage is the urlscan.io UI page that lists the scans of a value
	// of the type; "": there is none.
	browsePage string
	// uiSearch is the query urlscan.io's search page takes, the value in
	// place of %s; it differs from the API's.
	uiSearch string
	scan     scanKind
}

// scanKind is how urlscan.io is asked to scan an observable.
type scanKind int

const (
	notScannable scanKind = iota
	scanAsURL             // the value is the URL to visit
	scanAsHost            // the value is a host, visited at its https root
)

// observableTypes are the types the relay looks up, in the order it lists
// them.
var observableTypes = [...]observableType{
	{name: "ip", searchField: "page.ip", browsePage: "ip", uiSearch: `ip:"%s"`},
	{name: "ipv6", searchField: "page.ip", browsePage: "ip", uiSearch: `ip:"%s"`},
	{name: "domain", searchField: "page.domain", browsePage: "domain", uiSearch: "domain:%s", scan: scanAsHost},
	{name: "url", searchField: "page.url.keyword", uiSearch: `"%s"`, scan: scanAsURL},
	{name: "hostname", searchField: "page.domain", browsePage: "domain", uiSearch: "domain:%s", scan: scanAsHost},
	{name: "sha256", searchField: "hash", uiSearch: "hash:%s"},
}

// typeNamed is the entry of the lower-case type name, nil for a type the
// relay does not look up.
func typeNamed(name string) *observableType {
	for i := range observableTypes {
		if observableTypes[i].name == name {
			return &observableTypes[i]
		}
	}
	return nil
}

// SupportedTypes lists the types the relay looks up, lower-case.
func SupportedTypes() []string {
	names := make([]string, len(observableTypes))
	for i, t := range observableTypes {
		names[i] = t.name
	}
	return names
}

// SearchQuery returns the urlscan.io API query for an observable
// (PROTOCOL.md §4): its type's search field matched against the value as a
// phrase (urlscan.PhraseQuery). Types are matched case-insensitively; an
// unsupported type or an empty value is an error, worded as it was when
// the urlscan client built the query.
func SearchQuery(typ, value string) (string, error) {
	t := typeNamed(strings.ToLower(typ))
	if t == nil {
		return "", fmt.Errorf("urlscan: observable type %q is not supported", typ)
	}
	if value == "" {
		return "", fmt.Errorf("urlscan: empty %s value", t.name)
	}
	return urlscan.PhraseQuery(t.searchField, value), nil
}

// browsePage is the urlscan.io UI page that lists scans of the lower-case
// type typ, or "" for types it has none for.
func browsePage(typ string) string {
	if t := typeNamed(typ); t != nil {
		return t.browsePage
	}
	return ""
}

// uiSearchQuery is the query urlscan.io's search page takes for an
// observable of the lower-case type typ, or "" for an unsupported type.
func uiSearchQuery(typ, value string) string {
	if t := typeNamed(typ); t != nil {
		return fmt.Sprintf(t.uiSearch, value)
	}
	return ""
}

// scanAs is how urlscan.io would scan an observable of the lower-case
// type typ.
func scanAs(typ string) scanKind {
	if t := typeNamed(typ); t != nil {
		return t.scan
	}
	return notScannable
}
