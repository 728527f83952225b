package main

import (
	"io"
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
		o, err := parseFlags(append([]string{"bench"}, tt.args...), io.Discard)
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
		if _, err := parseFlags(append([]string{"bench"}, bad...), io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted", bad)
		}
	}
}
