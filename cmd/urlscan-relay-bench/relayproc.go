package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Relay process limits: how long it may take to start listening, and to
// stop after SIGTERM before it is killed.
const (
	relayStartTimeout = 30 * time.Second
	relayStopTimeout  = 20 * time.Second
	logTailLines      = 30
	maxLogLine        = 64 << 10
)

// relayProc is a relay running as a child process.
type relayProc struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:PORT
	cancel   context.CancelFunc
	done     chan struct{} // closed once the process has exited
	waitErr  error         // set before done is closed
	logs     *relayLog
	stopping atomic.Bool
}

// startRelay runs bin serve with env on a free loopback port, and waits
// until it answers. secrets are strings that must never show in its output
// (counted in logs.leaks). The process is stopped when ctx ends, and by
// stop.
//
// The relay logs the address it listens on at info level only, and the
// benchmark runs it at warn (a log line per request would cost as much as
// some requests); so rather than PORT=0 it gets a port known to be free a
// moment before, and is polled on /healthz.
func startRelay(ctx context.Context, bin string, env []string, secrets []string) (*relayProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	logs := &relayLog{secrets: secrets}
	cmd := exec.CommandContext(ctx, bin, "serve")
	// METRICS_ADDR on PORT's port: /metrics, which the benchmark scrapes,
	// stays on the one listener.
	cmd.Env = append(slices.Clone(env), "PORT="+port, "METRICS_ADDR=127.0.0.1:"+port)
	cmd.Stdout, cmd.Stderr = &lineWriter{onLine: logs.add}, &lineWriter{onLine: logs.add}
	cmd.SysProcAttr = childAttr()
	// Ask politely first, so the relay drains and exits as in production.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = relayStopTimeout
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	p := &relayProc{cmd: cmd, cancel: cancel, done: make(chan struct{}), logs: logs, base: "http://127.0.0.1:" + port}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx); err != nil {
		_ = p.stop()
		return nil, err
	}
	return p, nil
}

// freePort returns a loopback TCP port nobody listened on a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// waitReady polls GET /healthz until it answers 200.
func (p *relayProc) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(relayStartTimeout)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("polling the relay: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("relay exited at start (%v):\n%s", p.waitErr, p.logs.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("relay did not answer /healthz within %s:\n%s", relayStartTimeout, p.logs.tail())
}

// pid is the relay's process id.
func (p *relayProc) pid() int { return p.cmd.Process.Pid }

// crashed reports an error when the relay has exited without being asked.
func (p *relayProc) crashed() error {
	select {
	case <-p.done:
		if !p.stopping.Load() {
			return fmt.Errorf("relay exited unasked (%v):\n%s", p.waitErr, p.logs.tail())
		}
	default:
	}
	return nil
}

// stop sends SIGTERM, waits for the exit (SIGKILL after relayStopTimeout)
// and reports an unclean one. It may be called more than once.
func (p *relayProc) stop() error {
	if err := p.crashed(); err != nil {
		return err
	}
	p.stopping.Store(true)
	p.cancel()
	<-p.done
	// Once the context is cancelled, Wait reports that even for a clean
	// exit: judge by the exit status.
	if st := p.cmd.ProcessState; st == nil || !st.Success() {
		return fmt.Errorf("relay stopped uncleanly (%v):\n%s", p.waitErr, p.logs.tail())
	}
	return nil
}

// relayLog keeps the last lines the relay wrote, and counts lines holding
// a secret.
type relayLog struct {
	secrets []string

	mu    sync.Mutex
	lines []string
	leaks int
}

func (l *relayLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == logTailLines {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, line)
	for _, s := range l.secrets {
		if s != "" && strings.Contains(line, s) {
			l.leaks++
			break
		}
	}
}

// tail is the last lines written, for error messages.
func (l *relayLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// leakCount is how many lines held a secret.
func (l *relayLog) leakCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leaks
}

// lineWriter splits what is written to it into lines.
type lineWriter struct {
	onLine  func(string)
	partial []byte
}

// Write implements io.Writer; exec calls it from one goroutine per stream.
func (w *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			// Cap a runaway line: only the tail of the log is kept anyway.
			w.partial = append(w.partial, b[:min(len(b), max(0, maxLogLine-len(w.partial)))]...)
			break
		}
		w.onLine(string(append(w.partial, b[:i]...)))
		w.partial, b = w.partial[:0], b[i+1:]
	}
	return n, nil
}
