package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// TestSIGTERMDrainsInFlightRequest runs the relay as a process, sends
// SIGTERM while a request waits on a slow urlscan.io, and checks the drain
// an orchestrator relies on: /readyz fails at once while requests are still
// served for SHUTDOWN_DELAY, the slow request gets its whole answer, and the
// process exits 0.
func TestSIGTERMDrainsInFlightRequest(t *testing.T) {
	f := newFixture(t, "sigterm-key-3b9e51")
	const upstreamDelay = 4 * time.Second
	f.upstream.Inject(urlscantest.Fault{Endpoint: "search", Delay: upstreamDelay})
	p := startRelayProcess(t, f.env(map[string]string{
		"SHUTDOWN_DELAY":   "3s",
		"SHUTDOWN_TIMEOUT": "10s",
	}))
	if a := f.send(t, http.MethodGet, p.base+"/readyz", "", "", nil); a.status != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM = %d, want 200", a.status)
	}

	slow := make(chan answer, 1)
	go func() {
		a, err := f.try(http.MethodPost, p.base+"/observe/observables", f.token, observables("1.1.1.1"), nil)
		if err != nil {
			a.status, a.body = -1, []byte(err.Error())
		}
		slow <- a
	}()
	waitFor(t, 5*time.Second, "the slow search reaches urlscan", func() bool { return f.upstream.Calls("search") > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 2*time.Second, "/readyz answers 503", func() bool {
		a, err := f.try(http.MethodGet, p.base+"/readyz", "", "", nil)
		return err == nil && a.status == http.StatusServiceUnavailable
	})
	// Draining is not refusing: a load balancer that has not caught up yet
	// still gets answers.
	if a := f.send(t, http.MethodPost, p.base+"/version", "", "", nil); a.status != http.StatusOK {
		t.Errorf("POST /version while draining = %d, want 200", a.status)
	}

	a := <-slow
	if a.status != http.StatusOK {
		t.Fatalf("slow request = %d %s, want 200", a.status, a.body)
	}
	env := a.json(t)
	if errs, ok := env["errors"]; ok {
		t.Errorf("slow request answered errors %v", errs)
	}
	data, _ := env["data"].(map[string]any)
	sightings, _ := data["sightings"].(map[string]any)
	if n, _ := sightings["count"].(float64); n == 0 {
		t.Errorf("slow request has no sightings: %s", a.body)
	}

	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, p.logs, p.stderr)
	}
	logs := p.logs.String()
	draining, shutting := strings.Index(logs, `"msg":"draining"`), strings.Index(logs, `"msg":"shutting down"`)
	answered, stopped := strings.Index(logs, `"route":"/observe/observables"`), strings.Index(logs, `"msg":"stopped"`)
	if draining < 0 || shutting < 0 || answered < 0 || stopped < 0 {
		t.Fatalf("log lacks draining, shutting down, the request or stopped:\n%s", logs)
	}
	// The request outlived SHUTDOWN_DELAY: Shutdown, not the delay, waited
	// for it.
	if !(draining < shutting && shutting < answered && answered < stopped) {
		t.Errorf("log order: draining@%d shutting down@%d request@%d stopped@%d, want that order\n%s",
			draining, shutting, answered, stopped, logs)
	}
}

// TestShutdownTimeoutCutsOff checks that a request still running when
// SHUTDOWN_TIMEOUT ends is cut off and makes run fail, so that the exit
// status tells an unclean stop from a clean one.
func TestShutdownTimeoutCutsOff(t *testing.T) {
	f := newFixture(t, "cutoff-key-5d0c77")
	f.upstream.Inject(urlscantest.Fault{Endpoint: "search", Delay: 3 * time.Second})
	base, logs, stop := startRelay(t, f.env(map[string]string{"SHUTDOWN_TIMEOUT": "200ms"}))
	done := make(chan error, 1)
	go func() {
		_, err := f.try(http.MethodPost, base+"/observe/observables", f.token, observables("1.1.1.1"), nil)
		done <- err
	}()
	waitFor(t, 5*time.Second, "the slow search reaches urlscan", func() bool { return f.upstream.Calls("search") > 0 })
	start := time.Now()
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Errorf("run after a cut-off drain = %v, want an error naming SHUTDOWN_TIMEOUT", err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("stopping took %s, want about SHUTDOWN_TIMEOUT (200ms)", took)
	}
	if err := <-done; err == nil {
		t.Error("the cut-off request got an answer, want a broken connection")
	}
	if strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Error(`log says "stopped" after an unclean drain`)
	}
}
