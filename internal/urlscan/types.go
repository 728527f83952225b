// Package urlscan is the relay's client for the urlscan.io API: search,
// result documents and scan submissions, with typed errors, the retry rules
// and rate-limit awareness of PROTOCOL.md §6.
package urlscan

import (
	"encoding/json"
	"time"
)

// Hit is one search result, reduced to the fields the relay maps.
type Hit struct {
	ID    string    // _id: the scan's uuid
	Time  time.Time // task.time in UTC; zero when missing or unreadable
	Stats []Stat    // stats, in the order urlscan sent them
	Page  Page      // page.url, page.domain, page.ip
}

// Stat is one key of a hit's stats object with its numeric value.
type Stat struct {
	Name  string
	Value json.Number
}

// Page is the page a scan landed on.
type Page struct {
	URL    string
	Domain string
	IP     string
}

// Result is a scan's result document, reduced to the fields the relay maps.
// Real documents run to megabytes; only these few fields are kept.
type Result struct {
	Time          time.Time // task.time in UTC; zero when missing or unreadable
	ReportURL     string    // task.reportURL
	ScreenshotURL string    // task.screenshotURL
	DomURL        string    // task.domURL
	Malicious     bool      // verdicts.overall.malicious
	Tags          []string  // verdicts.overall.tags
	Categories    []string  // verdicts.overall.categories
	Page          Page      // page.url, page.domain, page.ip: where the scan landed
}

// ScanRequest asks urlscan.io to scan a URL.
type ScanRequest struct {
	URL        string   `json:"url"`
	Visibility string   `json:"visibility"`
	Tags       []string `json:"tags,omitempty"`    // at most 10, each at most 29 characters
	Country    string   `json:"country,omitempty"` // two letters, lower case; empty: urlscan's choice
}

// ScanResponse is urlscan.io's answer to a scan submission.
type ScanResponse struct {
	UUID       string `json:"uuid"`
	Result     string `json:"result"`
	API        string `json:"api"`
	Visibility string `json:"visibility"`
	URL        string `json:"url"`
	Message    string `json:"message"`
}
