package main

import "testing"

func TestConnectionLimitLeavesFilesForOutboundCalls(t *testing.T) {
	tests := []struct {
		configured  int
		nofile      uint64
		want        int
		wantClamped bool
	}{
		{0, 0, defaultMaxConnections, false},
		{0, 1 << 20, defaultMaxConnections, false},
		{0, 20000, defaultMaxConnections, false},
		{0, 4096, 4096 - reservedFiles, false},
		{0, 1024, 1024 - reservedFiles, false},
		{0, 256, 128, false},
		{10000, 20000, 10000, false},
		{30000, 20000, 20000 - reservedFiles, true},
		{100, 0, 100, false},
		{0, 1, 1, false},
	}
	for _, tt := range tests {
		got, clamped := connectionLimit(tt.configured, tt.nofile)
		if got != tt.want || clamped != tt.wantClamped {
			t.Errorf("connectionLimit(%d, %d) = %d, %v; want %d, %v", tt.configured, tt.nofile, got, clamped, tt.want, tt.wantClamped)
		}
	}
}
