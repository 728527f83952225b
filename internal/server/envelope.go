package server

import (
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

// writeTR writes the Threat Response envelope: the data gathered and the
// errors met, each identical error once. It is the one place where errors
// become wire text. With errors, empty data is left out; without errors,
// data is always present. Every TR answer is HTTP 200 (PROTOCOL.md §1).
func writeTR(w http.ResponseWriter, r *http.Request, data any, errs []error) {
	env := envelope{Data: data}
	seen := make(map[tr.Error]bool, len(errs))
	for _, err := range errs {
		te := tr.From(err)
		if te == nil || seen[*te] {
			continue
		}
		seen[*te] = true
		typ := "fatal"
		if te.Warning {
			typ = "warning"
		}
		env.Errors = append(env.Errors, trError{Type: typ, Code: te.Code, Message: te.Message})
	}
	if len(env.Errors) > 0 {
		noteErrors(r, env.Errors)
		if isEmpty(data) {
			env.Data = nil
		}
	}
	if d, ok := env.Data.(ctim.ObserveData); ok && entities(d) > streamAbove {
		streamObserve(w, env, d)
		return
	}
	encode(w, http.StatusOK, env)
}

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
