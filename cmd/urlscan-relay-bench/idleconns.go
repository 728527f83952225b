package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The idle-connection scenario: one unauthenticated client opens many
// keep-alive connections, makes one request on each and leaves it idle,
// as an attacker exhausting the relay's file descriptors and memory would;
// then a valid request comes in. The relay runs at its default
// configuration.
const (
	idleDialers       = 64               // connections opened at once
	idleSettle        = 2 * time.Second  // after the last one, before measuring
	idleProbeTimeout  = 30 * time.Second // the valid request's patience
	idleProbeRequests = 5
)

// idleReport is what the scenario measured.
type idleReport struct {
	Attempted      int       `json:"attempted"`       // connections the client tried to open
	Answered       int       `json:"answered"`        // of them, answered their one request
	StillOpen      int       `json:"still_open"`      // of them, open at the relay when measured
	Evicted        float64   `json:"evicted"`         // relay_http_connections_evicted_total
	MaxConnections string    `json:"max_connections"` // as the relay logged it
	RSSMiB         float64   `json:"rss_mib"`         // the relay's RSS with the connections held
	PeakRSSMiB     float64   `json:"peak_rss_mib"`    // VmHWM
	ProbeMs        []float64 `json:"probe_ms"`        // POST /health with a valid token, on a new connection
	ProbeErrors    []string  `json:"probe_errors,omitempty"`
	OpenSeconds    float64   `json:"open_seconds"` // time to open them all
}

// idleClientCommand is the hidden command line of a helper process that
// holds a share of the connections: one process may not hold them all
// within its open-file limit.
const (
	idleClientCommand = "idle-client"
	idlePerHelper     = 8000
)

func runIdleConns(ctx context.Context, r *rig, n int) (*idleReport, error) {
	p, err := r.startRelay(ctx, r.relayBin, r.fake.URL, map[string]string{"LOG_LEVEL": "info"})
	if err != nil {
		return nil, err
	}
	defer func() { _ = p.stop() }()
	addr := strings.TrimPrefix(p.base, "http://")
	rep := &idleReport{Attempted: n}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}

	start := time.Now()
	var helpers []*idleHelper
	defer func() {
		for _, h := range helpers {
			h.stop()
		}
	}()
	for left := n; left > 0; left -= idlePerHelper {
		h, err := startIdleHelper(ctx, self, addr, min(left, idlePerHelper))
		if err != nil {
			return nil, err
		}
		helpers = append(helpers, h)
	}
	for _, h := range helpers {
		answered, err := h.wait()
		if err != nil {
			return nil, err
		}
		rep.Answered += answered
	}
	rep.OpenSeconds = time.Since(start).Seconds()
	time.Sleep(idleSettle)

	rss, err := procMemory(p.pid(), "VmRSS")
	if err != nil {
		return nil, err
	}
	hwm, err := procMemory(p.pid(), "VmHWM")
	if err != nil {
		return nil, err
	}
	rep.RSSMiB, rep.PeakRSSMiB = float64(rss)/(1<<20), float64(hwm)/(1<<20)
	for range idleProbeRequests {
		ms, err := probeHealth(ctx, p.base, r.token)
		if err != nil {
			rep.ProbeErrors = append(rep.ProbeErrors, err.Error())
			continue
		}
		rep.ProbeMs = append(rep.ProbeMs, ms)
	}
	open, evicted, err := connectionFigures(ctx, p.base)
	if err != nil {
		return nil, err
	}
	rep.StillOpen, rep.Evicted = int(open), evicted
	rep.MaxConnections = logField(p.logs, "listening", "max_connections")
	return rep, p.crashed()
}

// idleHelper is a helper process holding some of the connections until
// its stdin closes.
type idleHelper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startIdleHelper(ctx context.Context, self, addr string, n int) (*idleHelper, error) {
	cmd := exec.CommandContext(ctx, self, idleClientCommand, addr, strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a connection helper: %w", err)
	}
	return &idleHelper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}, nil
}

// wait reads how many of its connections the helper got answered.
func (h *idleHelper) wait() (int, error) {
	line, err := h.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("connection helper: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(line))
}

func (h *idleHelper) stop() {
	_ = h.stdin.Close()
	_ = h.cmd.Wait()
}

// idleClient is the helper process: it opens n connections to addr, makes
// one request on each, prints how many were answered, and holds them
// until stdin closes.
func idleClient(addr string, n int, stdin io.Reader, stdout io.Writer) error {
	var (
		mu    sync.Mutex
		conns []net.Conn
		next  atomic.Int64
		ok    atomic.Int64
		wg    sync.WaitGroup
	)
	for range idleDialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				if idleRequest(c) {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if _, err := fmt.Fprintln(stdout, ok.Load()); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin)
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}

// idleRequest makes one keep-alive request on c and leaves c idle.
func idleRequest(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// probeHealth times one POST /health with a valid token on a new
// connection, from dialling to the whole answer.
func probeHealth(ctx context.Context, base, token string) (float64, error) {
	client := &http.Client{Timeout: idleProbeTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/health", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var env struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK || len(env.Errors) > 0 {
		return 0, fmt.Errorf("POST /health: %d %v %v", resp.StatusCode, env.Errors, err)
	}
	return float64(time.Since(start).Microseconds()) / 1000, nil
}

// connectionFigures reads relay_http_connections and
// relay_http_connections_evicted_total from /metrics.
func connectionFigures(ctx context.Context, base string) (open, evicted float64, err error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var v float64
		if _, err := fmt.Sscanf(sc.Text(), "relay_http_connections %g", &v); err == nil {
			open = v
		}
		if _, err := fmt.Sscanf(sc.Text(), "relay_http_connections_evicted_total %g", &v); err == nil {
			evicted = v
		}
	}
	return open, evicted, sc.Err()
}

// logField is field of the relay's last log line with message msg, among
// the lines kept, or "unknown".
func logField(l *relayLog, msg, field string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.lines) - 1; i >= 0; i-- {
		var line map[string]any
		if json.Unmarshal([]byte(l.lines[i]), &line) == nil && line["msg"] == msg {
			return fmt.Sprint(line[field])
		}
	}
	return "unknown"
}

func printIdle(w io.Writer, r *rig, rep *idleReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	_, err := fmt.Fprintf(w, `idle connections (load average %s at start)
  connections attempted        %d, opened in %.1f s, %d answered their request
  relay MAX_CONNECTIONS        %s
  open at the relay after      %.0f (evicted %.0f idle ones to make room)
  relay RSS with them held     %.1f MiB (peak %.1f MiB)
  POST /health, new connection %v ms  errors: %d %v
`, r.loadAvg, rep.Attempted, rep.OpenSeconds, rep.Answered, rep.MaxConnections,
		float64(rep.StillOpen), rep.Evicted, rep.RSSMiB, rep.PeakRSSMiB, rep.ProbeMs, len(rep.ProbeErrors), rep.ProbeErrors)
	return err
}
