package main

import (
	"fmt"
	"time"
)

// check is one line of a verdict: a figure, its target and whether it
// meets it.
type check struct {
	Name     string `json:"name"`
	Measured string `json:"measured"`
	Target   string `json:"target"`
	Pass     bool   `json:"pass"`
}

// failedChecks names the checks that did not pass.
func failedChecks(cs []check) []string {
	var out []string
	for _, c := range cs {
		if !c.Pass {
			out = append(out, c.Name)
		}
	}
	return out
}

// brokenChecks are what must hold on any machine, however slow: every
// answer right, the relay alive, some throughput, no secret in its logs.
func brokenChecks(phases []phaseReport) []check {
	var out []check
	for _, p := range phases {
		failure := "none"
		if p.Failure != "" {
			failure = shorten(p.Failure, 200)
		}
		errs := fmt.Sprintf("%d of %d", p.Errors, p.Requests)
		if p.FirstError != "" {
			errs += " (first: " + shorten(p.FirstError, 200) + ")"
		}
		out = append(out,
			check{p.Name + " relay ran cleanly", failure, "no crash, priming answered", p.Failure == ""},
			check{p.Name + " wrong answers", errs, "0", p.Errors == 0},
			check{p.Name + " throughput", fmt.Sprintf("%.1f req/s", p.Throughput), "> 0", p.Throughput > 0},
			check{p.Name + " log lines with the key or token", fmt.Sprint(p.LogLeaks), "0", p.LogLeaks == 0},
		)
	}
	return out
}

// barChecks compares the phases with the bar of PERFORMANCE.md; phases
// are those of standardPhases, in order.
func barChecks(phases []phaseReport) []check {
	if len(phases) != 3 {
		return nil
	}
	cold1, cold8, warm8 := phases[0], phases[1], phases[2]
	var jwksMax int64
	for _, p := range phases {
		jwksMax = max(jwksMax, p.JWKSFetches)
	}
	const mib = 1 << 20
	return []check{
		{cold1.Name + " p50 latency", fmtMS(cold1.Latency.P50), "≤ 60 ms", cold1.Latency.P50 <= 60*time.Millisecond},
		{cold8.Name + " throughput", fmt.Sprintf("%.1f req/s", cold8.Throughput), "≥ 60 req/s", cold8.Throughput >= 60},
		{cold8.Name + " p99 latency", fmtMS(cold8.Latency.P99), "≤ 400 ms", cold8.Latency.P99 <= 400*time.Millisecond},
		{warm8.Name + " throughput", fmt.Sprintf("%.1f req/s", warm8.Throughput), "≥ 2000 req/s", warm8.Throughput >= 2000},
		{warm8.Name + " p99 latency", fmtMS(warm8.Latency.P99), "≤ 20 ms", warm8.Latency.P99 <= 20*time.Millisecond},
		{cold8.Name + " peak RSS", fmtMiB(cold8.PeakRSS), "≤ 80 MiB", cold8.PeakRSS > 0 && cold8.PeakRSS <= 80*mib},
		{warm8.Name + " urlscan calls per repeated request", fmt.Sprintf("%.3f searches, %.3f results", warm8.SearchesPerReq, warm8.ResultsPerReq),
			"0 searches, 0 results (within TTL)", warm8.Searches == 0 && warm8.Results == 0},
		{"JWKS fetches per relay process (one host)", fmt.Sprint(jwksMax), "≤ 1", jwksMax <= 1},
	}
}

func fmtMS(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
