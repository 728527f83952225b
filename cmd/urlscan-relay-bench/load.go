package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// clientTimeout bounds one request of the load generator: longer than the
// relay's own 25 s default budget, so the relay's answer is what is seen.
const clientTimeout = 60 * time.Second

// loadGen drives POST /observe/observables with a valid token.
type loadGen struct {
	client *http.Client
	url    string
	token  string
}

func newLoadGen(base, token string, clients int) *loadGen {
	tr := &http.Transport{
		MaxIdleConns:        2 * clients,
		MaxIdleConnsPerHost: 2 * clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &loadGen{
		client: &http.Client{Transport: tr, Timeout: clientTimeout},
		url:    base + "/observe/observables",
		token:  token,
	}
}

// closeIdle closes the generator's idle keep-alive connections, so that
// the relay's goroutines serving them can end.
func (g *loadGen) closeIdle() { g.client.CloseIdleConnections() }

// judge classifies an answer: kind names it for the summary; ok is false
// when the answer is wrong for the phase.
type judge func(status int, body []byte) (kind string, ok bool)

// load is one run of the generator: clients in parallel, each sending the
// next body as soon as its previous answer is in, until requests answers
// (when > 0) or duration has passed.
type load struct {
	clients  int
	requests int
	duration time.Duration
	body     func() []byte
	judge    judge
}

// loadResult is what a load measured.
type loadResult struct {
	latencies []time.Duration
	elapsed   time.Duration
	bad       int            // answers judged wrong, transport failures included
	bytes     int64          // answer bodies, in all
	kinds     map[string]int // answers by kind
	sample    string         // the first wrong answer, shortened
}

func (g *loadGen) run(ctx context.Context, l load) loadResult {
	var (
		mu      sync.Mutex
		res     = loadResult{kinds: make(map[string]int)}
		started atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now()
	more := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if l.requests > 0 {
			return started.Add(1) <= int64(l.requests)
		}
		return time.Since(start) < l.duration
	}
	for range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var buf bytes.Buffer // reused: answers are ~70 KB each
			for more() {
				t0 := time.Now()
				status, body, err := g.post(ctx, l.body(), &buf)
				lat = append(lat, time.Since(t0))
				kind, ok := "", false
				if err != nil {
					kind = "transport error"
				} else {
					kind, ok = l.judge(status, body)
				}
				mu.Lock()
				res.bytes += int64(len(body))
				res.kinds[kind]++
				if !ok {
					res.bad++
					if res.sample == "" {
						res.sample = shorten(fmt.Sprintf("%s: status %d, %v %s", kind, status, err, body), 400)
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// post sends one request and reads its whole answer into buf, which it
// returns the bytes of: they are valid until the next post with buf.
func (g *loadGen) post(ctx context.Context, body []byte, buf *bytes.Buffer) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("posting: %w", err)
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return resp.StatusCode, buf.Bytes(), fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, buf.Bytes(), nil
}

// shorten makes s one line of at most about n bytes.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
