package main

import (
	"fmt"
	"slices"
	"time"
)

// roundRun is one round of every phase on one relay binary.
type roundRun struct {
	Binary  string        `json:"binary"`
	Round   int           `json:"round"`
	Phases  []phaseReport `json:"phases"`
	Replica replicaReport `json:"replica"`
}

// phase returns the run's phase of the given kind and clients.
func (r roundRun) phase(kind string, clients int) (phaseReport, bool) {
	for _, p := range r.Phases {
		if p.Kind == kind && p.Clients == clients {
			return p, true
		}
	}
	return phaseReport{}, false
}

// figure is one line of the bar, or a figure that explains one: how to
// read it off a roundRun, and what it must meet (nil when it is informative).
type figure struct {
	Name   string
	Unit   string // ms, req/s, MiB, ×, calls
	value  func(roundRun) (float64, bool)
	Target string
	meets  func(float64) bool
}

const mib = 1 << 20

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// figures are the lines of PERFORMANCE.md's 1.0 and 1.1 bars, and the
// figures their ratios are made of, for o's clients and f's floor.
func figures(o options, f floor) []figure {
	c, w := o.clients, o.wideClients
	ph := func(kind string, clients int, get func(phaseReport) float64) func(roundRun) (float64, bool) {
		return func(r roundRun) (float64, bool) {
			p, ok := r.phase(kind, clients)
			if !ok || p.Requests == 0 {
				return 0, false
			}
			return get(p), true
		}
	}
	cpu := func(p phaseReport) float64 { return millis(p.CPUPerReq) }
	calls := func(p phaseReport) float64 { return p.SearchesPerReq + p.ResultsPerReq }
	// What the load generator and the fake urlscan.io spent per request:
	// CPU the relay did not have, on the same two cores.
	harness := func(p phaseReport) float64 { return millis(p.BenchCPU) / float64(p.Requests) }
	ratio := func(a, b func(roundRun) (float64, bool)) func(roundRun) (float64, bool) {
		return func(r roundRun) (float64, bool) {
			x, ok1 := a(r)
			y, ok2 := b(r)
			return x / y, ok1 && ok2 && y > 0
		}
	}
	constant := func(v float64) func(roundRun) (float64, bool) {
		return func(roundRun) (float64, bool) { return v, v > 0 }
	}
	replica := func(get func(replicaReport) phaseReport) func(roundRun) (float64, bool) {
		return func(r roundRun) (float64, bool) {
			p := get(r.Replica)
			return p.Throughput, r.Replica.Skipped == "" && p.Requests > 0
		}
	}
	atMost := func(t float64) func(float64) bool { return func(v float64) bool { return v <= t } }
	atLeast := func(t float64) func(float64) bool { return func(v float64) bool { return v >= t } }

	cold1P50 := ph(kindCold, 1, func(p phaseReport) float64 { return millis(p.Latency.P50) })
	coldCPU := ph(kindCold, c, cpu)
	coldSys := ph(kindCold, c, func(p phaseReport) float64 { return millis(p.SysCPUPerReq) })
	coldUser := ph(kindCold, c, func(p phaseReport) float64 { return millis(p.CPUPerReq - p.SysCPUPerReq) })
	popularThroughput := ph(kindPopular, c, func(p phaseReport) float64 { return p.Throughput })
	wideCPU := ph(kindCold, w, cpu)
	redis := replica(func(r replicaReport) phaseReport { return r.Redis })
	memory := replica(func(r replicaReport) phaseReport { return r.Memory })
	return []figure{
		// The 1.0 bar, kept.
		{Name: "cold-1 p50 latency", Unit: "ms", value: cold1P50, Target: "≤ 60 ms", meets: atMost(60)},
		{Name: fmt.Sprintf("cold-%d throughput", c), Unit: "req/s", value: ph(kindCold, c, func(p phaseReport) float64 { return p.Throughput }), Target: "≥ 60 req/s", meets: atLeast(60)},
		{Name: fmt.Sprintf("cold-%d p99 latency", c), Unit: "ms", value: ph(kindCold, c, func(p phaseReport) float64 { return millis(p.Latency.P99) }), Target: "≤ 400 ms", meets: atMost(400)},
		{Name: fmt.Sprintf("warm-%d throughput", c), Unit: "req/s", value: ph(kindWarm, c, func(p phaseReport) float64 { return p.Throughput }), Target: "≥ 2000 req/s", meets: atLeast(2000)},
		{Name: fmt.Sprintf("warm-%d p99 latency", c), Unit: "ms", value: ph(kindWarm, c, func(p phaseReport) float64 { return millis(p.Latency.P99) }), Target: "≤ 20 ms", meets: atMost(20)},
		{Name: fmt.Sprintf("cold-%d peak RSS", c), Unit: "MiB", value: ph(kindCold, c, func(p phaseReport) float64 { return float64(p.PeakRSS) / mib }), Target: "≤ 80 MiB", meets: atMost(80)},
		{Name: fmt.Sprintf("warm-%d urlscan calls per request", c), Unit: "calls", value: ph(kindWarm, c, calls), Target: "0 (within TTL)", meets: atMost(0)},
		{Name: "JWKS fetches per relay process", Unit: "fetches", value: func(r roundRun) (float64, bool) {
			var m int64
			for _, p := range r.Phases {
				m = max(m, p.JWKSFetches)
			}
			return float64(m), len(r.Phases) > 0
		}, Target: "≤ 1", meets: atMost(1)},

		// The 1.1 bar, and what its ratios are made of.
		{Name: fmt.Sprintf("cold-%d relay CPU per request", c), Unit: "ms", value: coldCPU},
		{Name: "scanner floor (request bytes ÷ decoder speed)", Unit: "ms", value: constant(millis(f.CPU))},
		{Name: "cold CPU per request ÷ scanner floor", Unit: "×", value: ratio(coldCPU, constant(millis(f.CPU))), Target: "≤ 1.6×", meets: atMost(1.6)},
		// The floor counts the scan alone; the kernel's side of receiving
		// the same bytes over loopback is the relay's system time.
		{Name: fmt.Sprintf("cold-%d relay system CPU per request", c), Unit: "ms", value: coldSys},
		{Name: "cold user CPU per request ÷ scanner floor", Unit: "×", value: ratio(coldUser, constant(millis(f.CPU)))},
		{Name: "cold-1 p50 ÷ 40 ms floor", Unit: "×", value: ratio(cold1P50, constant(millis(f.Latency))), Target: "≤ 1.2×", meets: atMost(1.2)},
		{Name: "cold-64 relay CPU per request", Unit: "ms", value: ph(kindCold, 64, cpu)},
		{Name: fmt.Sprintf("cold-%d relay CPU per request", w), Unit: "ms", value: wideCPU},
		{Name: fmt.Sprintf("cold-%d throughput", w), Unit: "req/s", value: ph(kindCold, w, func(p phaseReport) float64 { return p.Throughput })},
		{Name: fmt.Sprintf("cold CPU per request, %d ÷ %d clients", w, c), Unit: "×", value: ratio(wideCPU, coldCPU), Target: "≤ 1.25×", meets: atMost(1.25)},
		{Name: fmt.Sprintf("cold-%d peak RSS", w), Unit: "MiB", value: ph(kindCold, w, func(p phaseReport) float64 { return float64(p.PeakRSS) / mib }), Target: "≤ 128 MiB", meets: atMost(128)},
		{Name: fmt.Sprintf("replica: Redis-served warm-%d throughput", c), Unit: "req/s", value: redis},
		{Name: fmt.Sprintf("replica: memory-served warm-%d throughput", c), Unit: "req/s", value: memory},
		{Name: "replica: Redis-served ÷ memory-served", Unit: "×", value: ratio(redis, memory), Target: "≥ 0.5×", meets: atLeast(0.5)},
		{Name: fmt.Sprintf("replica: redis-%d urlscan calls per request", c), Unit: "calls", value: func(r roundRun) (float64, bool) {
			p := r.Replica.Redis
			return p.SearchesPerReq + p.ResultsPerReq, r.Replica.Skipped == "" && p.Requests > 0
		}, Target: "0 (else Redis did not serve)", meets: atMost(0)},
		{Name: fmt.Sprintf("deleted-%d urlscan calls per request", c), Unit: "calls", value: ph(kindDeleted, c, calls), Target: "0", meets: atMost(0)},
		{Name: fmt.Sprintf("deleted-%d throughput", c), Unit: "req/s", value: ph(kindDeleted, c, func(p phaseReport) float64 { return p.Throughput })},
		{Name: fmt.Sprintf("warm-%d relay CPU per request", c), Unit: "ms", value: ph(kindWarm, c, cpu)},

		// The popular scenario: 100 hits an observable, within the result
		// budget. Its cold throughput should be at least 0.9 times the
		// standard one's (PERFORMANCE.md), though its answers carry ten
		// times the sightings.
		{Name: "popular-cold-1 p50 latency", Unit: "ms", value: ph(kindPopular, 1, func(p phaseReport) float64 { return millis(p.Latency.P50) })},
		{Name: fmt.Sprintf("popular-cold-%d throughput", c), Unit: "req/s", value: popularThroughput},
		{Name: fmt.Sprintf("popular-cold-%d p99 latency", c), Unit: "ms", value: ph(kindPopular, c, func(p phaseReport) float64 { return millis(p.Latency.P99) })},
		{Name: fmt.Sprintf("popular-cold-%d peak RSS", c), Unit: "MiB", value: ph(kindPopular, c, func(p phaseReport) float64 { return float64(p.PeakRSS) / mib })},
		{Name: fmt.Sprintf("popular-cold-%d urlscan calls per request", c), Unit: "calls", value: ph(kindPopular, c, calls), Target: "≤ 44", meets: atMost(44)},
		{Name: fmt.Sprintf("popular-cold-%d relay CPU per request", c), Unit: "ms", value: ph(kindPopular, c, cpu)},
		{Name: fmt.Sprintf("cold-%d load generator and fake CPU per request", c), Unit: "ms", value: ph(kindCold, c, harness)},
		{Name: fmt.Sprintf("popular-cold-%d load generator and fake CPU per request", c), Unit: "ms", value: ph(kindPopular, c, harness)},
		{Name: fmt.Sprintf("popular ÷ standard cold-%d throughput", c), Unit: "×", value: ratio(popularThroughput, ph(kindCold, c, func(p phaseReport) float64 { return p.Throughput })), Target: "≥ 0.9×", meets: atLeast(0.9)},
	}
}

// spread is a figure's median, min and max over the rounds of one binary.
type spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"rounds"`
}

// spreadOf summarizes fig over runs; N is 0 when no roundRun measured it.
func spreadOf(fig figure, runs []roundRun) spread {
	var vs []float64
	for _, r := range runs {
		if v, ok := fig.value(r); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return spread{}
	}
	slices.Sort(vs)
	m := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		m = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	return spread{Median: m, Min: vs[0], Max: vs[len(vs)-1], N: len(vs)}
}

// line is one figure side by side: each binary's spread, and the median
// ratio of the last binary to the first.
type line struct {
	Name    string            `json:"name"`
	Unit    string            `json:"unit"`
	Spreads map[string]spread `json:"by_binary"`
	Ratio   float64           `json:"after_over_before,omitempty"`
	Target  string            `json:"target,omitempty"`
	Pass    *bool             `json:"pass,omitempty"` // of the after binary's median
}

// compare lays out every figure for every binary of runs.
func compare(figs []figure, bins []binary, runs []roundRun) []line {
	out := make([]line, 0, len(figs))
	for _, fig := range figs {
		l := line{Name: fig.Name, Unit: fig.Unit, Target: fig.Target, Spreads: map[string]spread{}}
		for _, b := range bins {
			var mine []roundRun
			for _, r := range runs {
				if r.Binary == b.name {
					mine = append(mine, r)
				}
			}
			l.Spreads[b.name] = spreadOf(fig, mine)
		}
		if len(bins) == 2 {
			if a, b := l.Spreads[bins[0].name], l.Spreads[bins[1].name]; a.N > 0 && b.N > 0 && a.Median != 0 {
				l.Ratio = b.Median / a.Median
			}
		}
		if fig.meets != nil {
			s := l.Spreads[bins[len(bins)-1].name]
			pass := s.N > 0 && fig.meets(s.Median)
			l.Pass = &pass
		}
		out = append(out, l)
	}
	return out
}

// barChecks are the lines with a target, judged on the after binary.
func barChecks(lines []line) []check {
	var out []check
	for _, l := range lines {
		if l.Pass == nil {
			continue
		}
		s := l.Spreads["after"]
		measured := "not measured"
		if s.N > 0 {
			measured = fmtFigure(s.Median, l.Unit)
		}
		out = append(out, check{l.Name, measured, l.Target, *l.Pass})
	}
	return out
}

// fmtFigure prints v in unit.
func fmtFigure(v float64, unit string) string {
	switch unit {
	case "×":
		return fmt.Sprintf("%.2f×", v)
	case "calls", "fetches":
		return fmt.Sprintf("%.3f %s", v, unit)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
