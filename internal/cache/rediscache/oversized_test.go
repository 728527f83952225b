package rediscache

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// oversizedCount reads redis_values_oversized_total{kind, op} of s.
func oversizedCount(t *testing.T, s *Store, kind, op string) float64 {
	t.Helper()
	var m dto.Metric
	if err := s.tooLarge.WithLabelValues(kind, op).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestOversizedMetricIsRegistered holds that the counter reaches the
// relay's registry with its series at zero, and that a second Store on the
// same registry is a wiring mistake Open reports.
func TestOversizedMetricIsRegistered(t *testing.T) {
	url := testURL(t)
	reg := prometheus.NewPedanticRegistry()
	s, err := Open(context.Background(), url, Options{KeyPrefix: uniquePrefix(t), Registerer: reg})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		if mf.GetName() == "redis_values_oversized_total" {
			series = len(mf.GetMetric())
		}
	}
	if series != 7 {
		t.Errorf("redis_values_oversized_total has %d series, want 7 (read and write of search, result, scans; read of limit)", series)
	}
	if s2, err := Open(context.Background(), url, Options{Registerer: reg}); err == nil {
		s2.Close()
		t.Error("a second Store on one registry opened, want an error")
	}
}

// TestOversizedIsLoggedWithoutKeyOrBytes holds that a value past its bound
// is reported as a warning that names its kind and size, never its key or
// its bytes, and at most once per period.
func TestOversizedIsLoggedWithoutKeyOrBytes(t *testing.T) {
	url, prefix := testURL(t), uniquePrefix(t)
	var buf bytes.Buffer
	now := time.Unix(1_800_000_000, 0)
	s, err := Open(context.Background(), url, Options{
		KeyPrefix: prefix, Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	const key, secret = "key-id-0123456789", "planted-bytes-"
	value := bytes.Repeat([]byte(secret), maxResultBytes/len(secret)+1)
	if err := rawClient(t, url).Set(context.Background(), prefix+kindResult+":"+key, value, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	buf.Reset() // Open's own line
	r := s.Remote(kindResult)
	for range 3 {
		if _, ok, err := r.Get(context.Background(), key); ok || err != nil {
			t.Fatalf("Get = found %v, %v; want absent", ok, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines for 3 oversized reads within a period, want 1: %q", len(lines), buf.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line["level"] != "WARN" || line["kind"] != kindResult || line["bytes"] != float64(maxResultBytes+1) {
		t.Errorf("log line = %v, want a WARN of kind result, %d bytes (what was read)", line, maxResultBytes+1)
	}
	if strings.Contains(lines[0], key) || strings.Contains(lines[0], secret) {
		t.Errorf("log line %q names the key or the value's bytes", lines[0])
	}
}
