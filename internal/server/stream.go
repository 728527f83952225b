package server

import (
	"bufio"
	"net/http"
	"strconv"
	"sync"

	"github.com/goccy/go-json"

	"urlscan-relay/internal/ctim"
)

// streamAbove is the number of entities above which an observe answer is
// streamed: encoded one entity at a time through a small buffer instead
// of built whole. A standard answer (4 observables, 10 hits: about 100
// entities, 70 KB) is built whole, with a Content-Length; one of a
// thousand hits or hundreds of observables (several MB) would otherwise
// sit in memory twice, as entities and as their encoding.
const streamAbove = 1000

// streamBuffer is the size of the buffer a streamed answer is written
// through.
const streamBuffer = 32 << 10

var streamWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, streamBuffer) }}

// entities counts the entities of an observe answer.
func entities(d ctim.ObserveData) int {
	n := 0
	if d.Sightings != nil {
		n += d.Sightings.Count
	}
	if d.Judgements != nil {
		n += d.Judgements.Count
	}
	if d.Indicators != nil {
		n += d.Indicators.Count
	}
	if d.Relationships != nil {
		n += d.Relationships.Count
	}
	if d.Verdicts != nil {
		n += d.Verdicts.Count
	}
	return n
}

// streamObserve writes env, whose data is an observe answer, as the very
// bytes encode would (encoding/json's, HTML escaping included), one
// entity at a time. The status goes out first, so a failure to encode an
// entity cannot become an error answer any more: the connection is
// aborted instead, and the client sees a broken answer rather than a
// truncated document that parses.
func streamObserve(w http.ResponseWriter, env envelope, data ctim.ObserveData) {
	setJSONHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	bw := streamWriters.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		streamWriters.Put(bw)
	}()
	e := &entityWriter{w: bw}
	e.raw(`{"data":{`)
	// The members in ctim.ObserveData's order, each left out when nil.
	first := true
	writeMember(e, &first, "sightings", data.Sightings)
	writeMember(e, &first, "judgements", data.Judgements)
	writeMember(e, &first, "indicators", data.Indicators)
	writeMember(e, &first, "relationships", data.Relationships)
	writeMember(e, &first, "verdicts", data.Verdicts)
	e.raw("}")
	if len(env.Errors) > 0 {
		e.raw(`,"errors":`)
		e.value(env.Errors)
	}
	e.raw("}\n")
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.broken {
		panic(http.ErrAbortHandler)
	}
}

// writeMember writes the data object's member name with d as its value,
// or nothing when d is nil; first says whether no member was written yet.
func writeMember[T any](e *entityWriter, first *bool, name string, d *ctim.Docs[T]) {
	if d == nil {
		return
	}
	if !*first {
		e.raw(",")
	}
	*first = false
	e.raw(`"` + name + `":`)
	writeDocs(e, d)
}

// writeDocs writes one counted list, {"count":N,"docs":[...]}.
func writeDocs[T any](e *entityWriter, d *ctim.Docs[T]) {
	e.raw(`{"count":` + strconv.Itoa(d.Count) + `,"docs":[`)
	for i := range d.Docs {
		if i > 0 {
			e.raw(",")
		}
		e.value(&d.Docs[i])
	}
	e.raw("]}")
}

// entityWriter writes pieces of one answer, remembering the first
// failure: a write error (the client left: the rest is skipped) or an
// encoding error (broken: the answer must not end as if whole).
type entityWriter struct {
	w      *bufio.Writer
	err    error
	broken bool
}

func (e *entityWriter) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *entityWriter) value(v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err, e.broken = err, true
		return
	}
	_, e.err = e.w.Write(b)
}
