package main

import (
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// demoObservable is an observable the demo's data set knows, and what the
// relay should say about it.
type demoObservable struct {
	Type, Value, Story string
}

// The demo's data set: made-up scans of documentation domains and
// addresses (RFC 2606, RFC 5737), so that nothing real is named.
const (
	demoPhishDomain = "login-paypa1-secure.example"
	demoPhishURL    = "https://login-paypa1-secure.example/signin"
	demoPhishIP     = "203.0.113.66"
	demoMinerDomain = "free-coins.example.net"
	demoShopDomain  = "shop.example.org"
	demoShopHost    = "cdn.shop.example.org"
	demoShopIP      = "198.51.100.10"
	demoScriptHash  = "9f2c4e1a7b3d5f60812ab4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f801234"
	demoScanURL     = "https://new-campaign.example.com/offer"
	// demoScanMalicious marks the scans the fake judges malicious once
	// they finish: those of the new campaign.
	demoScanMalicious = "new-campaign.example.com"
)

// demoObservables are what the demo prints for the reader to try.
var demoObservables = []demoObservable{
	{"domain", demoPhishDomain, "phishing: 3 scans, 2 judged malicious (PayPal brand), 1 since deleted by its owner"},
	{"url", demoPhishURL, "phishing: the login page itself"},
	{"ip", demoPhishIP, "hosts the phishing site and a coin miner: 4 scans"},
	{"domain", demoMinerDomain, "coinmining: 1 malicious scan"},
	{"domain", demoShopDomain, "benign: 2 clean scans, no verdict"},
	{"hostname", demoShopHost, "benign: 1 clean scan"},
	{"sha256", demoScriptHash, "a script the phishing kit loads: 2 scans"},
	{"url", demoScanURL, "no scans until /respond/trigger scans it; observe it again 10-20 s later: a malicious sighting"},
}

// demoScans is the fake urlscan.io's data, timed relative to now so the
// scans look recent.
func demoScans(now time.Time) []urlscantest.Scan {
	day := 24 * time.Hour
	phish := func(id, url string, ago time.Duration) urlscantest.Scan {
		return urlscantest.Scan{
			ID: id, Time: now.Add(-ago), URL: url, IP: demoPhishIP, Country: "NL", ASNName: "EXAMPLE-HOSTING, NL",
			Hashes: []string{demoScriptHash}, Malicious: true, Score: 100,
			Categories: []string{"phishing"}, Brands: []string{"PayPal"}, Tags: []string{"phishing", "credential-harvesting"},
		}
	}
	return []urlscantest.Scan{
		phish("7d1f0a52-3c1e-4b7a-9e55-0d6f3b2a1c01", demoPhishURL, 2*time.Hour),
		phish("7d1f0a52-3c1e-4b7a-9e55-0d6f3b2a1c02", "https://"+demoPhishDomain+"/", 3*day),
		{
			ID: "7d1f0a52-3c1e-4b7a-9e55-0d6f3b2a1c03", Time: now.Add(-9 * day), URL: "https://" + demoPhishDomain + "/verify",
			IP: demoPhishIP, Country: "NL", ASNName: "EXAMPLE-HOSTING, NL", Deleted: true,
		},
		{
			ID: "a3e9c0d4-5b6f-4e21-8c7d-1f2e3a4b5c01", Time: now.Add(-30 * time.Hour), URL: "https://" + demoMinerDomain + "/",
			IP: demoPhishIP, Country: "NL", ASNName: "EXAMPLE-HOSTING, NL", Malicious: true, Score: 85,
			Categories: []string{"coinmining"}, Tags: []string{"coinmining", "cryptojacking"},
		},
		{
			ID: "c5b8e2f1-9d0a-4c3b-b7e6-2a1f0e9d8c01", Time: now.Add(-5 * time.Hour), URL: "https://" + demoShopDomain + "/",
			IP: demoShopIP, ASNName: "EXAMPLE-CDN, US",
		},
		{
			ID: "c5b8e2f1-9d0a-4c3b-b7e6-2a1f0e9d8c02", Time: now.Add(-6 * day), URL: "https://" + demoShopDomain + "/cart",
			IP: demoShopIP, ASNName: "EXAMPLE-CDN, US", Visibility: "unlisted",
		},
		{
			ID: "c5b8e2f1-9d0a-4c3b-b7e6-2a1f0e9d8c03", Time: now.Add(-2 * day), URL: "https://" + demoShopHost + "/app.js",
			IP: demoShopIP, ASNName: "EXAMPLE-CDN, US",
		},
	}
}

// demoLimits are the fake's quotas, those of a small urlscan.io account, so
// that the quotas endpoint has something to say.
var demoLimits = map[string]int{"search": 1000, "retrieve": 5000, "private": 50, "unlisted": 100, "public": 100}
