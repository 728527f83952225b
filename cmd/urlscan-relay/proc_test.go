package main

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"urlscan-relay/internal/logtest"
)

// relayProcess is the relay running as a process of its own: the test
// binary re-executed with runMainEnv set, so main runs as in production.
type relayProcess struct {
	cmd    *exec.Cmd
	base   string
	logs   *logtest.Buffer // stdout: the JSON log
	stderr *logtest.Buffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startRelayProcess starts the relay with exactly env as its environment
// and waits until it listens.
func startRelayProcess(t *testing.T, env map[string]string) *relayProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &relayProcess{logs: &logtest.Buffer{}, stderr: &logtest.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(exe)
	// Under -race the runtime sleeps a second before exiting unless told
	// not to; the exit status still reports a race (66).
	p.cmd.Env = []string{runMainEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(p.logs.String()); m != nil {
			p.base = "http://127.0.0.1:" + m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("relay exited early: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.logs, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("relay did not report listening:\n%s", p.logs)
	return nil
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *relayProcess) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("relay still running %s later\n%s", d, p.logs)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", p.err)
	return -1
}
