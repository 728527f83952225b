package main

import (
	"fmt"
	"sync/atomic"
)

// scenario makes the request bodies of the standard scenario: four
// observables (domain, url, ip, domain), one request meaning 4 searches and
// 40 result documents upstream.
type scenario struct {
	next atomic.Int64 // the next cold request's number, unique for the whole run
}

// cold returns a body whose observables no earlier request asked about,
// so no cache can answer it.
func (s *scenario) cold() []byte {
	n := s.next.Add(1)
	return fmt.Appendf(nil,
		`[{"type":"domain","value":"d%d.example"},{"type":"url","value":"http://u%d.example/p"},`+
			`{"type":"ip","value":"10.%d.%d.%d"},{"type":"domain","value":"e%d.example"}]`,
		n, n, n>>16&0xff, n>>8&0xff, n&0xff, n)
}

// warm returns the same body every time.
func (s *scenario) warm() []byte {
	return []byte(`[{"type":"domain","value":"warm.example"},{"type":"url","value":"http://warm.example/p"},` +
		`{"type":"ip","value":"10.255.0.1"},{"type":"domain","value":"warm2.example"}]`)
}

// deleted returns the same body every time, about observables of its own:
// the rig makes one scan of each answer 404 (see deleteScans).
func (s *scenario) deleted() []byte {
	return []byte(deletedBody)
}

// deletedBody is the deleted scenario's request; deletedObservables are
// its observables, whose searches the rig looks up to delete scans.
const deletedBody = `[{"type":"domain","value":"gone.example"},{"type":"url","value":"http://gone.example/p"},` +
	`{"type":"ip","value":"10.254.0.1"},{"type":"domain","value":"gone2.example"}]`

// replica returns the i-th of the replica scenario's distinct bodies of
// the run labelled run.
func replicaBody(run string, i int) []byte {
	return fmt.Appendf(nil,
		`[{"type":"domain","value":"r%s-%d.example"},{"type":"url","value":"http://r%s-%d.example/p"},`+
			`{"type":"ip","value":"10.%d.%d.%d"},{"type":"domain","value":"s%s-%d.example"}]`,
		run, i, run, i, 200+len(run)%50, i>>8&0xff, i&0xff, run, i)
}
