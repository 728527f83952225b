package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procMemory reads field (VmHWM: peak resident set; VmRSS: current one)
// of /proc/PID/status, in bytes.
func procMemory(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the relay's memory: %w", err)
	}
	return parseStatusField(b, field)
}

// parseStatusField finds "field:   1234 kB" in a /proc status file.
func parseStatusField(status []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
		if unit == "kB" {
			n <<= 10
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s: not in /proc status", field)
}

// rssSampler polls a process's VmRSS and keeps the largest seen, to tell
// a sustained footprint from the one-off peak VmHWM records.
type rssSampler struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	max int64
	sum int64
	n   int64
}

func sampleRSS(ctx context.Context, pid int, every time.Duration) *rssSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &rssSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if rss, err := procMemory(pid, "VmRSS"); err == nil {
				s.mu.Lock()
				s.max = max(s.max, rss)
				s.sum += rss
				s.n++
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the largest and the mean VmRSS seen.
func (s *rssSampler) stop() (maxRSS, meanRSS int64) {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0, 0
	}
	return s.max, s.sum / s.n
}

// clockTick is the unit of CPU times in /proc/PID/stat (USER_HZ), 100 Hz
// on every Linux the benchmark runs on.
const clockTick = 10 * time.Millisecond

// cpuTimes are a process's CPU times: in its own code, and in the kernel
// on its behalf (its system calls: for the relay, mostly reading upstream
// answers off its sockets).
type cpuTimes struct{ user, system time.Duration }

func (c cpuTimes) total() time.Duration { return c.user + c.system }

func (c cpuTimes) minus(d cpuTimes) cpuTimes {
	return cpuTimes{user: c.user - d.user, system: c.system - d.system}
}

// procCPU is the CPU time process pid has used so far.
func procCPU(pid int) (cpuTimes, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}, fmt.Errorf("reading the relay's CPU time: %w", err)
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc stat
// line; the command name (field 2) may hold spaces, so fields are counted
// after its closing parenthesis.
func parseStatCPU(stat []byte) (cpuTimes, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return cpuTimes{}, fmt.Errorf("/proc stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return cpuTimes{}, fmt.Errorf("/proc stat: %d fields", len(f)+2)
	}
	var ticks [2]int64
	for k, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("/proc stat: %w", err)
		}
		ticks[k] = n
	}
	return cpuTimes{user: time.Duration(ticks[0]) * clockTick, system: time.Duration(ticks[1]) * clockTick}, nil
}

// selfCPU is the CPU time the benchmark's own process (load generator,
// fake urlscan.io, JWKS issuer) has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
