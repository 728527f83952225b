package cache

import (
	"github.com/prometheus/client_golang/prometheus"

	"urlscan-relay/internal/promreg"
)

// tier says where a Get found its value.
type tier int

const (
	tierLoad tier = iota
	tierMemory
	tierRemote
)

// metrics are per cache: the cache name is a constant label, so caches with
// different names share metric families in one registry, and a second cache
// with the same name fails to register (a wiring mistake worth surfacing).
type metrics struct {
	hitsMemory   prometheus.Counter
	hitsRemote   prometheus.Counter
	misses       prometheus.Counter
	evictSize    prometheus.Counter
	evictExpired prometheus.Counter
	remoteErrors prometheus.Counter
}

func newMetrics(name string, reg prometheus.Registerer, stats func() (int, int64)) (*metrics, error) {
	labels := prometheus.Labels{"cache": name}
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "cache_hits_total",
		Help:        "Lookups answered from a cache tier (memory or remote) without loading.",
		ConstLabels: labels,
	}, []string{"tier"})
	evictions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "cache_evictions_total",
		Help:        "Entries dropped from memory: reason=size when the byte bound forced it out, reason=expired when its TTL passed.",
		ConstLabels: labels,
	}, []string{"reason"})
	m := &metrics{
		hitsMemory: hits.WithLabelValues("memory"),
		hitsRemote: hits.WithLabelValues("remote"),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "cache_misses_total",
			Help:        "Lookups that had to load the value from its origin.",
			ConstLabels: labels,
		}),
		evictSize:    evictions.WithLabelValues("size"),
		evictExpired: evictions.WithLabelValues("expired"),
		remoteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "cache_remote_errors_total",
			Help:        "Failed or undecodable remote-tier (Redis) operations; each degraded to a miss or a skipped write.",
			ConstLabels: labels,
		}),
	}
	if reg == nil {
		return m, nil
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "cache_size_bytes",
		Help:        "Approximate bytes held in memory by the cache (the weight its bound applies to).",
		ConstLabels: labels,
	}, func() float64 { _, b := stats(); return float64(b) })
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "cache_entries",
		Help:        "Approximate number of entries held in memory by the cache.",
		ConstLabels: labels,
	}, func() float64 { n, _ := stats(); return float64(n) })
	if err := promreg.Register(reg, "cache "+name, hits, evictions, m.misses, m.remoteErrors, size, entries); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) record(t tier) {
	switch t {
	case tierMemory:
		m.hitsMemory.Inc()
	case tierRemote:
		m.hitsRemote.Inc()
	default:
		m.misses.Inc()
	}
}
