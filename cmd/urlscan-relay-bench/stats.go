package main

import (
	"math"
	"slices"
	"time"
)

// latencySummary describes a set of request latencies.
type latencySummary struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarize computes the summary of ds, which it sorts in place.
func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return latencySummary{
		Count: len(ds),
		Mean:  sum / time.Duration(len(ds)),
		P50:   percentile(ds, 50),
		P90:   percentile(ds, 90),
		P99:   percentile(ds, 99),
		Max:   ds[len(ds)-1],
	}
}

// percentile is the nearest-rank p-th percentile of sorted: the smallest
// value that at least p% of the values do not exceed. Unlike interpolation
// it always names a latency some request really had.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// rank = ceil(p/100 × n), computed in integers to dodge float rounding
	// (0.99 × 100 is not exactly 99).
	n := len(sorted)
	rank := (int(math.Round(p*100))*n + 9999) / 10000
	rank = max(1, min(n, rank))
	return sorted[rank-1]
}
