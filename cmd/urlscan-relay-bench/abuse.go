package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// runAbuse reproduces, at the default configuration, the requests of the
// resource review that once took the relay to a gigabyte: one observe of
// 200 domains of 1000 hits at CTR_ENTITIES_LIMIT=1000, one refer of 500
// such domains, 1000 observe requests of 64 slow observables abandoned
// right after sending, and eight concurrent searches answered with 30 MiB
// each. Each runs on a fresh relay process, so that its peak RSS is its
// own.
func runAbuse(ctx context.Context, r *rig, w io.Writer) error {
	fmt.Fprintf(w, "resource review scenarios (load average at start: %s)\n", r.loadAvg)
	big := urlscantest.NewServer(urlscantest.Options{Latency: 20 * time.Millisecond, Hits: 1000, DocBytes: 8 << 10, APIKey: benchAPIKey})
	defer big.Close()
	wide := r.issuer.Token(map[string]any{"key": benchAPIKey, "aud": benchAudience, "CTR_ENTITIES_LIMIT": 1000})

	for _, sc := range []struct {
		name, route string
		n           int
	}{
		{"observe, 200 domains x 1000 hits, CTR_ENTITIES_LIMIT=1000", "/observe/observables", 200},
		{"refer, 500 domains x 1000 hits, CTR_ENTITIES_LIMIT=1000", "/refer/observables", 500},
	} {
		p, err := r.startRelay(ctx, r.relayBin, big.URL, nil)
		if err != nil {
			return err
		}
		start := time.Now()
		status, body, err := post(ctx, p.base+sc.route, wide, domains(sc.name, sc.n))
		elapsed := time.Since(start)
		hwm, _ := procMemory(p.pid(), "VmHWM")
		_ = p.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Fprintf(w, "  %s: HTTP %d, %d bytes in %s, warning=%v; peak RSS %.1f MiB\n",
			sc.name, status, len(body), elapsed.Round(time.Millisecond), bytes.Contains(body, []byte(`"warning"`)), inMiB(hwm))
	}

	slow := urlscantest.NewServer(urlscantest.Options{Latency: 2 * time.Second, Hits: 10, DocBytes: 8 << 10, APIKey: benchAPIKey})
	defer slow.Close()
	if err := abandoned(ctx, r, slow, w); err != nil {
		return err
	}

	hostile := urlscantest.NewServer(urlscantest.Options{Latency: 20 * time.Millisecond, Hits: 10, DocBytes: 8 << 10, APIKey: benchAPIKey})
	defer hostile.Close()
	hostile.Inject(urlscantest.Fault{Endpoint: "search", BodySize: 30 << 20})
	p, err := r.startRelay(ctx, r.relayBin, hostile.URL, nil)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	statuses := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			_, body, err := post(ctx, p.base+"/observe/observables", r.token, domains(fmt.Sprintf("huge%d", i), 1))
			statuses[i] = fmt.Sprint(err)
			if err == nil {
				statuses[i] = string(body[:min(len(body), 80)])
			}
		})
	}
	wg.Wait()
	hwm, _ := procMemory(p.pid(), "VmHWM")
	_ = p.stop()
	fmt.Fprintf(w, "  8 concurrent 30 MiB search answers: peak RSS %.1f MiB; first answer %s\n", inMiB(hwm), statuses[0])
	return nil
}

// abandoned sends 1000 observe requests of 64 slow observables, each on a
// connection closed right after sending, then reads the relay's
// goroutines, RSS and upstream calls: idle, at once, and three seconds on.
func abandoned(ctx context.Context, r *rig, slow *urlscantest.Server, w io.Writer) error {
	p, err := r.startRelay(ctx, r.relayBin, slow.URL, nil)
	if err != nil {
		return err
	}
	defer func() { _ = p.stop() }()
	idle, err := scrapeRuntime(ctx, p.base)
	if err != nil {
		return err
	}
	u, _ := url.Parse(p.base)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for i := range jobs {
				body := domains(fmt.Sprintf("gone%d", i), 64)
				req := fmt.Sprintf("POST /observe/observables HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
					u.Host, r.token, len(body), body)
				c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
				if err != nil {
					continue
				}
				_, _ = c.Write([]byte(req))
				_ = c.Close()
			}
		})
	}
	for i := range 1000 {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	atOnce, _ := scrapeRuntime(ctx, p.base)
	calls0 := slow.Calls("search")
	time.Sleep(3 * time.Second)
	later, err := scrapeRuntime(ctx, p.base)
	if err != nil {
		return err
	}
	calls3 := slow.Calls("search")
	hwm, _ := procMemory(p.pid(), "VmHWM")
	fmt.Fprintf(w, "  1000 abandoned requests of 64 slow observables: idle %d goroutines, %.1f MiB; after sending %d, %.1f MiB; 3 s later %d goroutines, %.1f MiB RSS (peak %.1f MiB); searches sent %d by the end of sending, %d more in the 3 s after\n",
		idle.Goroutines, inMiB(idle.RSS), atOnce.Goroutines, inMiB(atOnce.RSS), later.Goroutines, inMiB(later.RSS), inMiB(hwm), calls0, calls3-calls0)
	return nil
}

// domains is a JSON list of n domain observables, unique to tag.
func domains(tag string, n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	tag = strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, strings.ToLower(tag))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"domain","value":"d%d-%.20s.example"}`, i, tag)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func post(ctx context.Context, u, token string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func inMiB(b int64) float64 { return float64(b) / mib }
