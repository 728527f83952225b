package main

import (
	"testing"
)

func TestParseStatusField(t *testing.T) {
	status := []byte("Name:\turlscan-relay\nVmPeak:\t 1300000 kB\nVmHWM:\t   45678 kB\nVmRSS:\t   40000 kB\nThreads:\t7\n")
	tests := []struct {
		field string
		want  int64
	}{
		{"VmHWM", 45678 << 10},
		{"VmRSS", 40000 << 10},
		{"Threads", 7},
	}
	for _, tt := range tests {
		got, err := parseStatusField(status, tt.field)
		if err != nil || got != tt.want {
			t.Errorf("parseStatusField(%s) = %d, %v; want %d", tt.field, got, err, tt.want)
		}
	}
	if _, err := parseStatusField(status, "VmSwap"); err == nil {
		t.Error("parseStatusField(VmSwap) found a missing field")
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name holds a space and a parenthesis, as names may.
	stat := []byte("4242 (urlscan relay)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 7 0 100 0 0")
	got, err := parseStatCPU(stat)
	if want := (cpuTimes{user: 150 * clockTick, system: 25 * clockTick}); err != nil || got != want {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, want)
	}
	if _, err := parseStatCPU([]byte("4242 (short) S 1")); err == nil {
		t.Error("parseStatCPU accepted a short line")
	}
}
