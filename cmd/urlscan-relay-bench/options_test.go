package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	tests := []struct {
		args         []string
		wantDuration time.Duration
		wantRequests int
		wantDocKiB   int
	}{
		{nil, standardDuration, standardRequests, 300},
		{[]string{"-smoke"}, smokeDuration, smokeRequests, smokeDocKiB},
		{[]string{"-soak"}, soakDuration, standardRequests, 300},
		{[]string{"-soak", "-smoke"}, smokeSoakDuration, smokeRequests, smokeDocKiB},
		{[]string{"-smoke", "-duration", "7s", "-doc-kib", "64"}, 7 * time.Second, smokeRequests, 64},
	}
	for _, tt := range tests {
		o, err := parseFlags(append([]string{"bench"}, tt.args...), io.Discard, io.Discard)
		if err != nil {
			t.Errorf("parseFlags(%v): %v", tt.args, err)
			continue
		}
		if o.duration != tt.wantDuration || o.requests != tt.wantRequests || o.docKiB != tt.wantDocKiB {
			t.Errorf("parseFlags(%v) = duration %v, requests %d, doc %d KiB; want %v, %d, %d",
				tt.args, o.duration, o.requests, o.docKiB, tt.wantDuration, tt.wantRequests, tt.wantDocKiB)
		}
	}
	for _, bad := range [][]string{{"-clients", "0"}, {"-fail-every", "1"}, {"extra"}, {"-nope"}} {
		if _, err := parseFlags(append([]string{"bench"}, bad...), io.Discard, io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted", bad)
		}
	}
}

// TestHelpExitsZero checks that -h prints the usage on stdout and is no
// failure, while a bad flag still is one, explained on stderr.
func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"urlscan-relay-bench", arg}, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("run %s = %v, want nil (exit 0)", arg, err)
		}
		if !strings.Contains(stdout.String(), "-smoke") || stderr.Len() != 0 {
			t.Errorf("run %s: stdout %q, stderr %q; want the usage on stdout only", arg, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"urlscan-relay-bench", "-nope"}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "-smoke") || stdout.Len() != 0 {
		t.Errorf("run -nope = %v, stdout %q, stderr %q; want an error and the usage on stderr", err, stdout.String(), stderr.String())
	}
}
