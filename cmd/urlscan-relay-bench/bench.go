package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// rssEvery is how often the relay's resident memory is sampled.
const rssEvery = 100 * time.Millisecond

// warmFullParseEvery is how often a warm answer is parsed in full; the
// others get the cheap shape check (see cleanJudge).
const warmFullParseEvery = 50

// popularFullParseEvery is the same for the popular scenario's answers.
const popularFullParseEvery = 10

// phase is one measurement of the standard scenario, on a fresh relay so
// that its peak memory and JWKS fetches are the phase's own.
type phase struct {
	name     string
	kind     string // cold, warm or deleted
	clients  int
	requests int           // when > 0, the phase ends after this many answers
	duration time.Duration // otherwise it ends after this long
}

// Kinds of phase: every request about observables never seen; the same
// observables every time, after one priming request; the same, where 4 of
// the 40 scans answer 404; and cold requests about popular observables,
// whose searches have popularHits hits each (the result budget's case).
const (
	kindCold    = "cold"
	kindWarm    = "warm"
	kindDeleted = "deleted"
	kindPopular = "popular"
)

// popularHits is the hits of every search in the popular scenario: the
// default entities limit, what a popular domain has.
const popularHits = 100

// warm reports whether the phase repeats one request.
func (ph phase) warm() bool { return ph.kind == kindWarm || ph.kind == kindDeleted }

// phaseReport is what a phase measured.
type phaseReport struct {
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
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
	CPUPerReq      time.Duration  `json:"relay_cpu_per_request_ns"`
	SysCPUPerReq   time.Duration  `json:"relay_system_cpu_per_request_ns"` // the system part of CPUPerReq
	BenchCPU       time.Duration  `json:"bench_cpu_ns"`                    // load generator, fake urlscan.io and issuer
	LogLeaks       int            `json:"log_lines_with_secrets"`
	Failure        string         `json:"failure,omitempty"` // the relay crashed, or priming failed
}

// standardPhases are the phases of PERFORMANCE.md: 1 client cold, then
// the concurrent clients cold and warm (the 1.0 bar); the concurrency
// scenario's wider cold loads; and the deleted scenario.
func standardPhases(o options) []phase {
	out := []phase{
		{name: "cold-1", kind: kindCold, clients: 1, requests: o.requests},
		{name: fmt.Sprintf("cold-%d", o.clients), kind: kindCold, clients: o.clients, duration: o.duration},
		{name: fmt.Sprintf("warm-%d", o.clients), kind: kindWarm, clients: o.clients, duration: o.duration},
	}
	levels := []int{64, o.wideClients}
	if o.smoke {
		levels = levels[1:]
	}
	for _, c := range levels {
		if c > out[len(out)-1].clients { // after warm-N, whose clients are o.clients
			out = append(out, phase{name: fmt.Sprintf("cold-%d", c), kind: kindCold, clients: c, duration: o.duration})
		}
	}
	out = append(out, phase{name: fmt.Sprintf("deleted-%d", o.clients), kind: kindDeleted, clients: o.clients, duration: o.duration})
	return append(out,
		phase{name: "popular-cold-1", kind: kindPopular, clients: 1, requests: o.requests},
		phase{name: fmt.Sprintf("popular-cold-%d", o.clients), kind: kindPopular, clients: o.clients, duration: o.duration})
}

// runStandard runs every phase of the standard scenario on bin.
func runStandard(ctx context.Context, r *rig, sc *scenario, bin string) ([]phaseReport, error) {
	var out []phaseReport
	for _, ph := range standardPhases(r.opts) {
		if !r.opts.selected(ph.name) {
			continue
		}
		rep, err := runPhase(ctx, r, sc, bin, ph)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ph.name, err)
		}
		out = append(out, rep)
	}
	return out, nil
}

func runPhase(ctx context.Context, r *rig, sc *scenario, bin string, ph phase) (phaseReport, error) {
	rep := phaseReport{Name: ph.name, Kind: ph.kind, Clients: ph.clients}
	jwks0 := r.issuer.Fetches()
	fake := r.fake
	if ph.kind == kindPopular {
		fake = r.popularFake
	}
	p, err := r.startRelay(ctx, bin, fake.URL, nil)
	if err != nil {
		return rep, err
	}
	// Stopped and checked below; this covers the early returns.
	defer func() { _ = p.stop() }()

	g := newLoadGen(p.base, r.token, ph.clients)
	body := sc.cold
	switch ph.kind {
	case kindWarm:
		body = sc.warm
	case kindDeleted:
		body = sc.deleted
	}
	if ph.warm() {
		status, b, err := g.post(ctx, body(), new(bytes.Buffer))
		if kind, ok := cleanJudge(1)(status, b); err != nil || !ok {
			rep.Failure = shorten(fmt.Sprintf("priming request: %s %v %s", kind, err, b), 400)
		}
	}
	judge := cleanJudge(1)
	switch {
	case ph.warm():
		judge = cleanJudge(warmFullParseEvery)
	case ph.kind == kindPopular:
		// A popular answer is ten times a standard one (400 sightings):
		// parsing every one in full would take the relay's CPU for the
		// load generator's work.
		judge = cleanJudge(popularFullParseEvery)
	}
	if err := measure(ctx, fake, p, g, load{clients: ph.clients, requests: ph.requests, duration: ph.duration, body: body, judge: judge}, &rep); err != nil {
		return rep, err
	}
	g.closeIdle()
	if err := p.stop(); err != nil && rep.Failure == "" {
		rep.Failure = err.Error()
	}
	rep.JWKSFetches = r.issuer.Fetches() - jwks0
	rep.LogLeaks = p.logs.leakCount()
	return rep, nil
}

// measure runs l against the relay p and fills rep with what it measured:
// answers, latency, throughput, the relay's CPU and memory, and the calls
// that reached fake meanwhile. Peak RSS is the process's, since it started.
func measure(ctx context.Context, fake *urlscantest.Server, p *relayProc, g *loadGen, l load, rep *phaseReport) error {
	searches0, results0 := fake.Calls("search"), fake.Calls("result")
	sampler := sampleRSS(ctx, p.pid(), rssEvery)
	relayCPU0, benchCPU0 := cpuNow(p.pid())
	res := g.run(ctx, l)
	relayCPU1, benchCPU1 := cpuNow(p.pid())
	relayCPU := relayCPU1.minus(relayCPU0)
	rep.RelayCPU, rep.BenchCPU = relayCPU.total(), benchCPU1-benchCPU0
	rep.MaxSampledRSS, rep.MeanSampledRSS = sampler.stop()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep.PeakRSS, _ = procMemory(p.pid(), "VmHWM") // 0 when the relay is gone, which Failure says
	rep.Searches = fake.Calls("search") - searches0
	rep.Results = fake.Calls("result") - results0

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
		rep.CPUPerReq = rep.RelayCPU / time.Duration(rep.Requests)
		rep.SysCPUPerReq = relayCPU.system / time.Duration(rep.Requests)
	}
	return nil
}

// cpuNow reads the CPU time used so far by the relay and by the benchmark.
func cpuNow(pid int) (relay cpuTimes, bench time.Duration) {
	relay, _ = procCPU(pid) // 0 if the relay is gone, which the phase reports
	return relay, selfCPU()
}
