package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// runtimeFigures are the relay's own view of its goroutines and memory,
// read from its Prometheus endpoint.
type runtimeFigures struct {
	Goroutines int   `json:"goroutines"`
	RSS        int64 `json:"rss_bytes"`
	HeapInuse  int64 `json:"heap_inuse_bytes"`
}

// scrapeRuntime reads GET /metrics once, on a connection of its own that
// it closes, so that the scrape leaves no idle connection (and goroutine)
// behind in the relay.
func scrapeRuntime(ctx context.Context, base string) (runtimeFigures, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return runtimeFigures{}, fmt.Errorf("metrics: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return runtimeFigures{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return runtimeFigures{}, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	want := map[string]float64{"go_goroutines": -1, "process_resident_memory_bytes": -1, "go_memstats_heap_inuse_bytes": -1}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if _, wanted := want[name]; !ok || !wanted {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return runtimeFigures{}, fmt.Errorf("metrics: %s: %w", name, err)
		}
		want[name] = v
	}
	if err := sc.Err(); err != nil {
		return runtimeFigures{}, fmt.Errorf("metrics: %w", err)
	}
	for name, v := range want {
		if v < 0 {
			return runtimeFigures{}, fmt.Errorf("metrics: no %s", name)
		}
	}
	return runtimeFigures{
		Goroutines: int(want["go_goroutines"]),
		RSS:        int64(want["process_resident_memory_bytes"]),
		HeapInuse:  int64(want["go_memstats_heap_inuse_bytes"]),
	}, nil
}
