package relay

import (
	"testing"
	"time"
)

func TestFormatTime(t *testing.T) {
	loc := time.FixedZone("x", -5*3600)
	for _, tm := range []time.Time{
		time.Date(2020, 6, 2, 21, 35, 21, 586000000, time.UTC),
		time.Date(2020, 4, 26, 21, 49, 49, 12345678, loc),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := formatTime(tm), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2020, 6, 2, 21, 35, 21, 586000000, time.UTC)
	for b.Loop() {
		_ = formatTime(tm)
	}
}
