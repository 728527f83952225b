package main

import (
	"fmt"
	"slices"
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

// brokenChecks are what must hold on any machine, however slow, in every
// roundRun: every answer right, the relay alive, some throughput, no secret in
// its logs. A skipped replica scenario is not broken.
func brokenChecks(runs []roundRun) []check {
	var out []check
	for _, r := range runs {
		phases := r.Phases
		if r.Replica.Skipped == "" {
			phases = append(slices.Clip(phases), r.Replica.Prime, r.Replica.Redis, r.Replica.Memory)
		}
		prefix := ""
		if len(runs) > 1 {
			prefix = fmt.Sprintf("%s #%d ", r.Binary, r.Round)
		}
		out = append(out, phaseChecks(prefix, phases)...)
	}
	return out
}

func phaseChecks(prefix string, phases []phaseReport) []check {
	var out []check
	for _, p := range phases {
		p.Name = prefix + p.Name
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

func fmtMS(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
