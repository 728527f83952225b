package main

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// rssEvery is how often the relay's resident memory is sampled.
const rssEvery = 100 * time.Millisecond

// warmFullParseEvery is how often a warm answer is parsed in full; the
// others get the cheap shape check (see cleanJudge).
const warmFullParseEvery = 50

// phase is one measurement of the standard scenario, on a fresh relay so
// that its peak memory and JWKS fetches are the phase's own.
type phase struct {
	name     string
	clients  int
	requests int           // when > 0, the phase ends after this many answers
	duration time.Duration // otherwise it ends after this long
	warm     bool          // the same observables every time, after one priming request
}

// phaseReport is what a phase measured.
type phaseReport struct {
	Name           string         `json:"name"`
	Clients        int            `json:"clients"`
	Requests       int            `json:"requests"`
	Errors         int            `json:"errors"`
	Answers        map[string]int `json:"answers"`
	FirstError     string         `json:"first_error,omitempty"`
	Elapsed        time.Duration  `json:"elapsed_ns"`
	Throughput     float64        `json:"throughput_rps"`
	Latency        latencySummary `json:"latency"`
	PeakRSS        int64          `json:"peak_rss_bytes"`        // VmHWM of the relay process
	MaxSampledRSS  int64          `json:"max_sampled_rss_bytes"` // VmRSS, sampled
	MeanSampledRSS int64          `json:"mean_sampled_rss_bytes"`
	Searches       int64          `json:"urlscan_searches"`
	Results        int64          `json:"urlscan_results"`
	SearchesPerReq float64        `json:"urlscan_searches_per_request"`
	ResultsPerReq  float64        `json:"urlscan_results_per_request"`
	JWKSFetches    int64          `json:"jwks_fetches"`
	AnswerBytes    int64          `json:"mean_answer_bytes"`
	RelayCPU       time.Duration  `json:"relay_cpu_ns"` // user + system, during the load
	BenchCPU       time.Duration  `json:"bench_cpu_ns"` // load generator, fake urlscan.io and issuer
	LogLeaks       int            `json:"log_lines_with_secrets"`
	Failure        string         `json:"failure,omitempty"` // the relay crashed, or priming failed
}

// standardPhases are the phases of PERFORMANCE.md: 1 client cold, then
// the concurrent clients cold and warm.
func standardPhases(o options) []phase {
	return []phase{
		{name: "cold-1", clients: 1, requests: o.requests},
		{name: fmt.Sprintf("cold-%d", o.clients), clients: o.clients, duration: o.duration},
		{name: fmt.Sprintf("warm-%d", o.clients), clients: o.clients, duration: o.duration, warm: true},
	}
}

// runStandard runs every phase of the standard scenario.
func runStandard(ctx context.Context, r *rig) ([]phaseReport, error) {
	sc := &scenario{}
	var out []phaseReport
	for _, ph := range standardPhases(r.opts) {
		rep, err := runPhase(ctx, r, sc, ph)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ph.name, err)
		}
		out = append(out, rep)
	}
	return out, nil
}

func runPhase(ctx context.Context, r *rig, sc *scenario, ph phase) (phaseReport, error) {
	rep := phaseReport{Name: ph.name, Clients: ph.clients}
	jwks0 := r.issuer.Fetches()
	p, err := r.startRelay(ctx, r.fake.URL, nil)
	if err != nil {
		return rep, err
	}
	// Stopped and checked below; this covers the early returns.
	defer func() { _ = p.stop() }()

	g := newLoadGen(p.base, r.token, ph.clients)
	body := sc.cold
	if ph.warm {
		body = sc.warm
		status, b, err := g.post(ctx, body(), new(bytes.Buffer))
		if kind, ok := cleanJudge(1)(status, b); err != nil || !ok {
			rep.Failure = shorten(fmt.Sprintf("priming request: %s %v %s", kind, err, b), 400)
		}
	}
	searches0, results0 := r.fake.Calls("search"), r.fake.Calls("result")
	sampler := sampleRSS(ctx, p.pid(), rssEvery)
	relayCPU0, benchCPU0 := cpuNow(p.pid())
	judge := cleanJudge(1)
	if ph.warm {
		judge = cleanJudge(warmFullParseEvery)
	}
	res := g.run(ctx, load{clients: ph.clients, requests: ph.requests, duration: ph.duration, body: body, judge: judge})
	relayCPU1, benchCPU1 := cpuNow(p.pid())
	rep.RelayCPU, rep.BenchCPU = relayCPU1-relayCPU0, benchCPU1-benchCPU0
	rep.MaxSampledRSS, rep.MeanSampledRSS = sampler.stop()
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	rep.PeakRSS, _ = procMemory(p.pid(), "VmHWM") // 0 when the relay is gone, which Failure says
	rep.Searches = r.fake.Calls("search") - searches0
	rep.Results = r.fake.Calls("result") - results0
	g.closeIdle()
	if err := p.stop(); err != nil && rep.Failure == "" {
		rep.Failure = err.Error()
	}
	rep.JWKSFetches = r.issuer.Fetches() - jwks0
	rep.LogLeaks = p.logs.leakCount()

	rep.Requests = len(res.latencies)
	rep.Errors, rep.Answers, rep.FirstError = res.bad, res.kinds, res.sample
	rep.Elapsed = res.elapsed
	if res.elapsed > 0 {
		rep.Throughput = float64(rep.Requests) / res.elapsed.Seconds()
	}
	rep.Latency = summarize(res.latencies)
	if rep.Requests > 0 {
		rep.SearchesPerReq = float64(rep.Searches) / float64(rep.Requests)
		rep.ResultsPerReq = float64(rep.Results) / float64(rep.Requests)
		rep.AnswerBytes = res.bytes / int64(rep.Requests)
	}
	return rep, nil
}

// cpuNow reads the CPU time used so far by the relay and by the benchmark.
func cpuNow(pid int) (relay, bench time.Duration) {
	relay, _ = procCPU(pid) // 0 if the relay is gone, which the phase reports
	return relay, selfCPU()
}
