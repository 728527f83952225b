package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestStandardPhases(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"cold-1", "cold-8", "warm-8", "cold-64", "cold-256", "deleted-8", "popular-cold-1", "popular-cold-8"}},
		{[]string{"-smoke"}, []string{"cold-1", "cold-8", "warm-8", "cold-32", "deleted-8", "popular-cold-1", "popular-cold-8"}},
		{[]string{"-clients", "64"}, []string{"cold-1", "cold-64", "warm-64", "cold-256", "deleted-64", "popular-cold-1", "popular-cold-64"}},
	} {
		o, err := parseFlags(append([]string{"bench"}, tt.args...), io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ph := range standardPhases(o) {
			got = append(got, ph.name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v: phases %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestCompareRatiosAndBar holds the side-by-side arithmetic: medians over
// rounds, after ÷ before, and the bar judged on the after binary.
func TestCompareRatiosAndBar(t *testing.T) {
	o, err := parseFlags([]string{"bench"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cold := func(bin string, round int, cpu time.Duration, p50 time.Duration) roundRun {
		return roundRun{Binary: bin, Round: round, Phases: []phaseReport{
			{Kind: kindCold, Clients: 1, Requests: 10, Latency: latencySummary{P50: p50}},
			{Kind: kindCold, Clients: 8, Requests: 10, CPUPerReq: cpu},
			{Kind: kindCold, Clients: 256, Requests: 10, CPUPerReq: 2 * cpu},
		}}
	}
	runs := []roundRun{
		cold("before", 1, 10*time.Millisecond, 56*time.Millisecond),
		cold("after", 1, 5*time.Millisecond, 46*time.Millisecond),
		cold("before", 2, 12*time.Millisecond, 55*time.Millisecond),
		cold("after", 2, 4*time.Millisecond, 47*time.Millisecond),
		cold("before", 3, 9*time.Millisecond, 57*time.Millisecond),
		cold("after", 3, 6*time.Millisecond, 48*time.Millisecond),
	}
	bins := []binary{{"before", ""}, {"after", ""}}
	lines := compare(figures(o, floor{CPU: 4 * time.Millisecond, Latency: 40 * time.Millisecond}), bins, runs)
	byName := map[string]line{}
	for _, l := range lines {
		byName[l.Name] = l
	}
	cpu := byName["cold-8 relay CPU per request"]
	if b, a := cpu.Spreads["before"], cpu.Spreads["after"]; b.Median != 10 || b.Min != 9 || b.Max != 12 || a.Median != 5 || a.N != 3 {
		t.Errorf("CPU spreads: before %+v, after %+v", b, a)
	}
	if cpu.Ratio != 0.5 {
		t.Errorf("after/before = %v, want 0.5", cpu.Ratio)
	}
	if l := byName["cold CPU per request ÷ scanner floor"]; l.Spreads["after"].Median != 1.25 || l.Pass == nil || !*l.Pass {
		t.Errorf("floor ratio %+v, want 1.25 and a pass", l)
	}
	if l := byName["cold CPU per request, 256 ÷ 8 clients"]; l.Pass == nil || *l.Pass {
		t.Errorf("256 ÷ 8 = %+v, want 2 and a fail", l)
	}
	if l := byName["replica: Redis-served ÷ memory-served"]; l.Spreads["after"].N != 0 || l.Pass == nil || *l.Pass {
		t.Errorf("an unmeasured figure %+v must fail its target", l)
	}
	for _, c := range barChecks(lines) {
		if c.Name == "cold-1 p50 ÷ 40 ms floor" && (c.Measured != "1.18×" || !c.Pass) {
			t.Errorf("latency floor check %+v", c)
		}
	}
}

func TestFastestDecoderRun(t *testing.T) {
	out := []byte("BenchmarkDecodeResult/streaming-2  100  227633 ns/op  1359.32 MB/s\n" +
		"BenchmarkDecodeResult/streaming-2  100  181075 ns/op  1708.82 MB/s\n" +
		"BenchmarkDecodeResult/streaming-2  100  253258 ns/op  1221.78 MB/s\nok\n")
	if v, err := fastest(out); err != nil || v != 1708.82 {
		t.Errorf("fastest = %v, %v; want 1708.82", v, err)
	}
	if _, err := fastest([]byte("FAIL\n")); err == nil {
		t.Error("no MB/s: want an error")
	}
}
