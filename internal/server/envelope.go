package server

import (
	"errors"
	"net/http"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
)

// trError is one entry of a Threat Response "errors" list.
type trError struct {
	Type    string  `json:"type"`
	Code    tr.Code `json:"code"`
	Message string  `json:"message"`
}

// envelope is every answer of the TR routes: data, errors, or both.
type envelope struct {
	Data   any       `json:"data,omitempty"`
	Errors []trError `json:"errors,omitempty"`
}

// trHandler works out the answer to one request of a TR route: the data
// gathered and the errors met. It writes nothing; answerTR writes what it
// returns, so a handler cannot answer twice, or not at all.
type trHandler func(r *http.Request) (data any, errs []error)

// answerTR is the one adapter between the TR routes and the wire: it runs
// compute and writes its answer in the envelope.
func answerTR(compute trHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, errs := compute(r)
		writeTR(w, r, data, errs)
	})
}

// failed is the answer of a handler that met err and has no data.
func failed(err error) (any, []error) { return nil, []error{err} }

// result is the answer of a handler whose last step gave data or err.
func result(data any, err error) (any, []error) {
	if err != nil {
		return failed(err)
	}
	return data, nil
}

// writeTR writes the Threat Response envelope: the data gathered and the
// errors met, each identical error once, made wire text by tr.From and
// entry alone. With errors, empty data is left out; without errors,
// data is always present, and an empty list is a list. Every TR answer is
// HTTP 200 (PROTOCOL.md §1). An observe answer of more than streamAbove
// entities is streamed instead of built whole.
func writeTR(w http.ResponseWriter, r *http.Request, data any, errs []error) {
	env := envelope{Data: data}
	seen := make(map[tr.Error]bool, len(errs))
	for _, err := range errs {
		if errors.As(err, new(closeAfter)) {
			w.Header().Set("Connection", "close")
		}
		te := tr.From(err)
		if te == nil || seen[*te] {
			continue
		}
		seen[*te] = true
		env.Errors = append(env.Errors, entry(te))
	}
	if len(env.Errors) > 0 {
		noteErrors(r, env.Errors)
		if isEmpty(data) {
			env.Data = nil
		}
	} else {
		env.Data = present(data)
	}
	if d, ok := env.Data.(ctim.ObserveData); ok && entities(d) > streamAbove {
		streamObserve(w, env, d)
		return
	}
	encode(w, http.StatusOK, env)
}

// writeRefusal writes the envelope of a request the router refuses before
// any route sees it (no such path, or a method the path does not take),
// with that HTTP status. Unlike writeTR's, its error is not the request's
// outcome in logs and metrics: those count it by its status class.
func writeRefusal(w http.ResponseWriter, status int, te *tr.Error) {
	encode(w, status, envelope{Errors: []trError{entry(te)}})
}

// entry is te as an entry of the "errors" list.
func entry(te *tr.Error) trError {
	typ := "fatal"
	if te.Warning {
		typ = "warning"
	}
	return trError{Type: typ, Code: te.Code, Message: te.Message}
}

// closeAfter marks an error after which the connection cannot carry
// another request (its body was not read in full): the answer closes it.
type closeAfter struct{ err error }

func (e closeAfter) Error() string { return e.err.Error() }
func (e closeAfter) Unwrap() error { return e.err }

// isEmpty reports whether an answer's data holds nothing worth sending.
func isEmpty(data any) bool {
	switch d := data.(type) {
	case nil:
		return true
	case ctim.ObserveData:
		return d == ctim.ObserveData{}
	case ctim.DeliberateData:
		return d.Verdicts == nil
	case []ctim.Reference:
		return len(d) == 0
	case []ctim.Action:
		return len(d) == 0
	case map[string]any:
		return len(d) == 0
	}
	return false
}

// present returns the data of an answer without errors as it goes out: a
// list answer with nothing in it is an empty list, never null.
func present(data any) any {
	switch d := data.(type) {
	case []ctim.Reference:
		if d == nil {
			return []ctim.Reference{}
		}
	case []ctim.Action:
		if d == nil {
			return []ctim.Action{}
		}
	}
	return data
}
