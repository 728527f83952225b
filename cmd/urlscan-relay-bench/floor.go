package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"urlscan-relay/internal/relay"
)

// floor is the least a cold standard request can cost: the upstream bytes
// it must scan at the result decoder's benchmark speed, and two upstream
// round trips in sequence (search, then results).
type floor struct {
	DecoderMBps  float64       `json:"decoder_mb_per_s"` // BenchmarkDecodeResult's streaming speed (1 MB = 10^6 bytes)
	SearchBytes  int64         `json:"search_bytes"`     // one search answer of the scenario
	ResultBytes  int64         `json:"result_bytes"`     // one result document
	RequestBytes int64         `json:"request_bytes"`    // 4 searches + 40 results
	CPU          time.Duration `json:"cpu_ns"`           // RequestBytes at DecoderMBps
	Latency      time.Duration `json:"latency_ns"`       // two round trips
	Note         string        `json:"note,omitempty"`
}

// decoderBenchmark is the package and benchmark whose speed defines the
// scanner floor.
const (
	decoderPackage   = "urlscan-relay/internal/urlscan"
	decoderBenchmark = "^BenchmarkDecodeResult$/^streaming$"
)

var mbPerS = regexp.MustCompile(`([0-9.]+) MB/s`)

// measureFloor sizes one standard request's upstream answers on the fake
// and takes the decoder's speed from -decoder-mbps or its benchmark.
func measureFloor(ctx context.Context, r *rig) (floor, error) {
	f := floor{DecoderMBps: r.opts.decoderMBps, Latency: 2 * r.opts.latency}
	q, _ := relay.SearchQuery("domain", "floor.example")
	client := &http.Client{Timeout: 10 * time.Second}
	search, err := fetchSize(ctx, client, r.fake.URL+"/search/?size=100&q="+url.QueryEscape(q))
	if err != nil {
		return f, err
	}
	ids, err := searchIDs(ctx, client, r.fake.URL+"/search/?size=100&q="+url.QueryEscape(q))
	if err != nil || len(ids) == 0 {
		return f, fmt.Errorf("sizing a result document: %d ids, %v", len(ids), err)
	}
	result, err := fetchSize(ctx, client, r.fake.URL+"/result/"+ids[0]+"/")
	if err != nil {
		return f, err
	}
	f.SearchBytes, f.ResultBytes = search, result
	f.RequestBytes = 4*search + 4*int64(r.opts.hits)*result
	if f.DecoderMBps == 0 {
		f.DecoderMBps, err = decoderSpeed(ctx, r.opts.smoke)
		if err != nil {
			f.Note = err.Error()
			return f, nil
		}
	}
	f.CPU = time.Duration(float64(f.RequestBytes) / (f.DecoderMBps * 1e6) * float64(time.Second))
	return f, nil
}

// fetchSize is the length of the fake's answer at u.
func fetchSize(ctx context.Context, client *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("asking the fake: %w", err)
	}
	req.Header.Set("API-Key", benchAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("asking the fake: %w", err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("asking the fake: status %d, %v", resp.StatusCode, err)
	}
	return n, nil
}

// decoderSpeed runs the decoder's benchmark (go test) and returns its
// MB/s: the speed the scanner floor is defined by. It runs three
// times (once with -smoke) and keeps the fastest: on a shared machine
// noise only ever slows a run, and a floor taken from a slowed run would
// flatter the relay.
func decoderSpeed(ctx context.Context, smoke bool) (float64, error) {
	benchtime, count := "2s", "3"
	if smoke {
		benchtime, count = "200ms", "1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", decoderBenchmark,
		"-benchtime", benchtime, "-count", count, decoderPackage)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("decoder benchmark: %w: %s", err, shorten(out.String(), 300))
	}
	return fastest(out.Bytes())
}

// fastest is the highest MB/s a benchmark's output reports.
func fastest(out []byte) (float64, error) {
	best := 0.0
	for _, m := range mbPerS.FindAllSubmatch(out, -1) {
		if v, err := strconv.ParseFloat(string(m[1]), 64); err == nil && v > best {
			best = v
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("decoder benchmark printed no MB/s: %s", shorten(string(out), 300))
	}
	return best, nil
}
