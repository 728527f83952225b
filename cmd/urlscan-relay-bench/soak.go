package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Soak limits: how many goroutines more than at the start the relay may
// keep once idle (runtime and pool jitter), how long it gets to get back
// there, and the slack on the request deadline for scheduling.
const (
	goroutineSlack  = 5
	settleTimeout   = 15 * time.Second
	settlePoll      = 500 * time.Millisecond
	deadlineSlack   = 2 * time.Second
	defaultDeadline = 25 * time.Second // the relay's REQUEST_TIMEOUT default
)

// soakReport is what the fault soak measured.
type soakReport struct {
	Clients        int              `json:"clients"`
	Requests       int              `json:"requests"`
	Elapsed        time.Duration    `json:"elapsed_ns"`
	Throughput     float64          `json:"throughput_rps"`
	Latency        latencySummary   `json:"latency"`
	Answers        map[string]int   `json:"answers"`
	Wrong          int              `json:"wrong_answers"`
	FirstWrong     string           `json:"first_wrong,omitempty"`
	UpstreamCalls  int64            `json:"upstream_calls"`
	Faults         map[string]int64 `json:"faults"`
	Before         runtimeFigures   `json:"before"`
	After          runtimeFigures   `json:"after"`
	Settle         time.Duration    `json:"settle_ns"`
	PeakRSS        int64            `json:"peak_rss_bytes"`
	RequestTimeout time.Duration    `json:"request_timeout_ns"`
	LogLeaks       int              `json:"log_lines_with_secrets"`
	Failure        string           `json:"failure,omitempty"`
	Checks         []check          `json:"checks"`
}

// runSoak drives the relay with cold requests for the whole duration while
// one upstream call in failEvery fails, then checks that every answer was
// a proper one and that the relay went back to its idle goroutine count.
func runSoak(ctx context.Context, r *rig) (soakReport, error) {
	o := r.opts
	rep := soakReport{Clients: o.clients, RequestTimeout: defaultDeadline}
	if v := r.getenv("REQUEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return rep, fmt.Errorf("REQUEST_TIMEOUT: %w", err)
		}
		rep.RequestTimeout = d
	}
	kinds := soakFaults(o.urlscanTimeout)
	proxy, err := newFaultProxy(r.fake, o.failEvery, kinds)
	if err != nil {
		return rep, err
	}
	defer proxy.close()
	p, err := r.startRelay(ctx, r.relayBin, proxy.url(), map[string]string{"URLSCAN_TIMEOUT": o.urlscanTimeout.String()})
	if err != nil {
		return rep, err
	}
	defer func() { _ = p.stop() }()

	g := newLoadGen(p.base, r.token, o.clients)
	sc := &scenario{}
	// Priming starts whatever the relay starts lazily (JWKS, pools, caches)
	// before the baseline is read.
	for range 2 {
		status, b, err := g.post(ctx, sc.cold(), new(bytes.Buffer))
		if kind, ok := cleanJudge(1)(status, b); err != nil || !ok {
			rep.Failure = shorten(fmt.Sprintf("priming request: %s %v %s", kind, err, b), 400)
			break
		}
	}
	if rep.Before, _, err = settle(ctx, g, proxy, p.base, 0); err != nil {
		return rep, err
	}

	calls0 := proxy.calls.Load()
	proxy.enabled.Store(true)
	res := g.run(ctx, load{clients: o.clients, duration: o.duration, body: sc.cold, judge: judgeWellFormed})
	proxy.enabled.Store(false)
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	rep.UpstreamCalls = proxy.calls.Load() - calls0
	rep.PeakRSS, _ = procMemory(p.pid(), "VmHWM")
	rep.Faults = make(map[string]int64, len(kinds))
	for i, k := range kinds {
		rep.Faults[k.name] = proxy.faulted[i].Load()
	}
	if err := p.crashed(); err == nil {
		if rep.After, rep.Settle, err = settle(ctx, g, proxy, p.base, rep.Before.Goroutines+goroutineSlack); err != nil {
			return rep, err
		}
	}
	if err := p.stop(); err != nil && rep.Failure == "" {
		rep.Failure = err.Error()
	}
	rep.LogLeaks = p.logs.leakCount()
	rep.Requests, rep.Elapsed = len(res.latencies), res.elapsed
	if res.elapsed > 0 {
		rep.Throughput = float64(rep.Requests) / res.elapsed.Seconds()
	}
	rep.Latency = summarize(res.latencies)
	rep.Answers, rep.Wrong, rep.FirstWrong = res.kinds, res.bad, res.sample
	rep.Checks = soakChecks(rep)
	return rep, nil
}

// settle closes the idle connections on both sides of the relay, then
// reads its runtime figures until its goroutines are at most target (or
// once, when target is 0), for at most settleTimeout.
func settle(ctx context.Context, g *loadGen, proxy *faultProxy, base string, target int) (runtimeFigures, time.Duration, error) {
	start := time.Now()
	g.closeIdle()
	proxy.dropConnections()
	for {
		select {
		case <-ctx.Done():
			return runtimeFigures{}, 0, ctx.Err()
		case <-time.After(settlePoll):
		}
		f, err := scrapeRuntime(ctx, base)
		if err != nil {
			return f, 0, err
		}
		waited := time.Since(start)
		if (target == 0 && waited >= time.Second) || (target > 0 && f.Goroutines <= target) || waited >= settleTimeout {
			return f, waited, nil
		}
	}
}

func soakChecks(rep soakReport) []check {
	failure := "none"
	if rep.Failure != "" {
		failure = shorten(rep.Failure, 200)
	}
	wrong := fmt.Sprintf("%d of %d", rep.Wrong, rep.Requests)
	if rep.FirstWrong != "" {
		wrong += " (first: " + shorten(rep.FirstWrong, 200) + ")"
	}
	var missing []string
	for name, n := range rep.Faults {
		if n == 0 {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	return []check{
		{"relay ran cleanly", failure, "no crash, priming answered", rep.Failure == ""},
		{"answers", fmt.Sprint(rep.Requests), "> 0", rep.Requests > 0},
		{"answers not HTTP 200 + JSON data/errors with known TR codes", wrong, "0", rep.Wrong == 0},
		{"fault kinds never injected", fmt.Sprint(missing), "[]", len(missing) == 0},
		{"slowest answer", fmtMS(rep.Latency.Max), "≤ REQUEST_TIMEOUT " + rep.RequestTimeout.String() + " + " + deadlineSlack.String(),
			rep.Latency.Max <= rep.RequestTimeout+deadlineSlack},
		{"goroutines idle after vs before", fmt.Sprintf("%d vs %d (after %s)", rep.After.Goroutines, rep.Before.Goroutines, rep.Settle.Round(time.Millisecond)),
			fmt.Sprintf("≤ before + %d", goroutineSlack), rep.After.Goroutines > 0 && rep.After.Goroutines <= rep.Before.Goroutines+goroutineSlack},
		{"log lines with the key or token", fmt.Sprint(rep.LogLeaks), "0", rep.LogLeaks == 0},
	}
}

func printSoak(w io.Writer, r *rig, rep soakReport, asJSON bool) error {
	s := describe(r, true)
	if asJSON {
		return writeJSON(w, struct {
			Setup setup      `json:"setup"`
			Soak  soakReport `json:"soak"`
		}{s, rep})
	}
	printSetup(w, s)
	fmt.Fprintf(w, "fault soak: %d clients for %s, 1 upstream call in %d failing; URLSCAN_TIMEOUT %s\n\n",
		rep.Clients, r.opts.duration, r.opts.failEvery, r.opts.urlscanTimeout)
	l := rep.Latency
	fmt.Fprintf(w, "answers: %d in %s (%.1f req/s); latency p50 %s, p90 %s, p99 %s, max %s\n",
		rep.Requests, rep.Elapsed.Round(time.Millisecond), rep.Throughput, fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max))
	for _, k := range slices.Sorted(maps.Keys(rep.Answers)) {
		fmt.Fprintf(w, "  %6d  %s\n", rep.Answers[k], k)
	}
	var injected int64
	for _, n := range rep.Faults {
		injected += n
	}
	fmt.Fprintf(w, "upstream calls: %d, failed on purpose: %d\n", rep.UpstreamCalls, injected)
	for _, k := range slices.Sorted(maps.Keys(rep.Faults)) {
		fmt.Fprintf(w, "  %6d  %s\n", rep.Faults[k], k)
	}
	fmt.Fprintf(w, "relay goroutines: %d before, %d after\n", rep.Before.Goroutines, rep.After.Goroutines)
	fmt.Fprintf(w, "relay RSS: %s before, %s after, peak %s; heap in use %s before, %s after\n",
		fmtMiB(rep.Before.RSS), fmtMiB(rep.After.RSS), fmtMiB(rep.PeakRSS), fmtMiB(rep.Before.HeapInuse), fmtMiB(rep.After.HeapInuse))
	printChecks(w, "\nchecks:", rep.Checks)
	return nil
}
