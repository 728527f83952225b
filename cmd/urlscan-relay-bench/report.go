package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// setup describes the run, for the record in docs/BENCHMARKS.md.
type setup struct {
	Date     string `json:"date"`
	LoadAvg  string `json:"load_average_start"`
	LoadEnd  string `json:"load_average_end"`
	CPU      string `json:"cpu"`
	CPUs     int    `json:"cpus"`
	OS       string `json:"os"`
	Go       string `json:"go"`
	Relay    string `json:"relay"`
	Latency  string `json:"upstream_latency"`
	Hits     int    `json:"hits"`
	DocKiB   int    `json:"doc_kib"`
	Clients  int    `json:"clients"`
	Requests int    `json:"cold1_requests,omitempty"`
	Duration string `json:"duration"`
	Env      string `json:"relay_env_passed_through,omitempty"`
}

func describe(r *rig, soak bool) setup {
	o := r.opts
	s := setup{
		Date: r.started.UTC().Format(time.RFC3339), LoadAvg: r.loadAvg, LoadEnd: loadAverage(), CPU: cpuModel(), CPUs: runtime.NumCPU(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Relay: r.relayBin,
		Latency: o.latency.String(), Hits: o.hits, DocKiB: o.docKiB, Clients: o.clients,
		Duration: o.duration.String(),
	}
	if o.relayBin == "" {
		s.Relay = "built from this module"
	}
	if !soak {
		s.Requests = o.requests
	}
	var env []string
	for _, k := range passThrough() {
		if v := r.getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	s.Env = strings.Join(env, " ")
	return s
}

// cpuModel is the processor's name from /proc/cpuinfo, if there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func printStandard(w io.Writer, r *rig, f floor, runs []roundRun, lines []line, broken, bar []check, asJSON bool) error {
	s := describe(r, false)
	if asJSON {
		return writeJSON(w, struct {
			Setup   setup      `json:"setup"`
			Smoke   bool       `json:"smoke"`
			Floor   floor      `json:"floor"`
			Runs    []roundRun `json:"runs"`
			Figures []line     `json:"figures"`
			Broken  []check    `json:"broken_checks"`
			Bar     []check    `json:"bar"`
		}{s, r.opts.smoke, f, runs, lines, broken, bar})
	}
	printSetup(w, s)
	fmt.Fprintf(w, "scanner floor: %d B a request (4 × %d B searches + %d × %d B documents) at %.0f MB/s = %s; latency floor %s\n",
		f.RequestBytes, f.SearchBytes, 4*r.opts.hits, f.ResultBytes, f.DecoderMBps, fmtMS(f.CPU), fmtMS(f.Latency))
	if f.Note != "" {
		fmt.Fprintf(w, "  (no decoder speed: %s)\n", f.Note)
	}
	for _, run := range runs {
		fmt.Fprintf(w, "\n%s, round %d:\n", run.Binary, run.Round)
		phases := run.Phases
		if run.Replica.Skipped == "" {
			phases = append(slices.Clip(phases), run.Replica.Prime, run.Replica.Redis, run.Replica.Memory)
			fmt.Fprintf(w, "  replica: Redis held %d keys after %d priming round(s)\n", run.Replica.PrimedKeys, run.Replica.PrimeRounds)
		} else {
			fmt.Fprintf(w, "  replica scenario skipped: %s\n", run.Replica.Skipped)
		}
		if err := printPhases(w, phases); err != nil {
			return err
		}
	}
	printLines(w, r.binaries(), lines)
	printChecks(w, "\nsanity (fails -smoke):", broken)
	if r.opts.smoke {
		printChecks(w, "\nthe bar (informative under -smoke):", bar)
	} else {
		printChecks(w, "\nthe bar (PERFORMANCE.md, medians of the after binary):", bar)
	}
	return nil
}

// printPhases prints one run's phases, a line each.
func printPhases(w io.Writer, phases []phaseReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclients\trequests\terrors\treq/s\tp50\tp90\tp99\tmax\tpeak RSS\tCPU/req\tsearches/req\tresults/req\tJWKS\t")
	for _, p := range phases {
		l := p.Latency
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%d\t\n",
			p.Name, p.Clients, p.Requests, p.Errors, p.Throughput,
			fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max), fmtMiB(p.PeakRSS), fmtMS(p.CPUPerReq),
			p.SearchesPerReq, p.ResultsPerReq, p.JWKSFetches)
	}
	return tw.Flush()
}

// printLines prints every figure side by side: median (min–max) of each
// binary, and after ÷ before.
func printLines(w io.Writer, bins []binary, lines []line) {
	fmt.Fprintln(w, "\nfigures, median (min–max) over the rounds:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "  figure"
	for _, b := range bins {
		head += "\t" + b.name
	}
	if len(bins) == 2 {
		head += "\tafter/before"
	}
	fmt.Fprintln(tw, head+"\ttarget\t")
	for _, l := range lines {
		row := "  " + l.Name
		for _, b := range bins {
			s := l.Spreads[b.name]
			if s.N == 0 {
				row += "\t-"
				continue
			}
			row += fmt.Sprintf("\t%s (%s–%s)", fmtFigure(s.Median, l.Unit), trimUnit(s.Min, l.Unit), trimUnit(s.Max, l.Unit))
		}
		if len(bins) == 2 {
			if l.Ratio != 0 {
				row += fmt.Sprintf("\t%.2f", l.Ratio)
			} else {
				row += "\t-"
			}
		}
		fmt.Fprintln(tw, row+"\t"+l.Target+"\t")
	}
	_ = tw.Flush()
}

// trimUnit prints v like fmtFigure, without the unit.
func trimUnit(v float64, unit string) string {
	if unit == "calls" || unit == "fetches" {
		return fmt.Sprintf("%.3f", v)
	}
	if unit == "×" {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func printSetup(w io.Writer, s setup) {
	fmt.Fprintf(w, "machine: %s, %d CPUs, %s, %s\n", s.CPU, s.CPUs, s.OS, s.Go)
	fmt.Fprintf(w, "date:    %s\nload:    %s at the start, %s at the end (1, 5, 15 min; above the CPU count, something else competed)\nrelay:   %s\n",
		s.Date, s.LoadAvg, s.LoadEnd, s.Relay)
	fmt.Fprintf(w, "upstream: fake urlscan.io, %s a call, %d hits a search, %d KiB result documents\n", s.Latency, s.Hits, s.DocKiB)
	if s.Env != "" {
		fmt.Fprintf(w, "relay env: %s\n", s.Env)
	}
	fmt.Fprintln(w)
}

func printChecks(w io.Writer, title string, cs []check) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range cs {
		verdict := "PASS"
		if !c.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, c.Measured, c.Target, verdict)
	}
	_ = tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
