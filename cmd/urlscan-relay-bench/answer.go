package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"urlscan-relay/internal/jsonscan"
	"urlscan-relay/internal/tr"
)

// answer is the envelope of every relay answer (PROTOCOL.md §1, §2).
type answer struct {
	Data   json.RawMessage `json:"data"`
	Errors []trError       `json:"errors"`
}

type trError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// knownCode reports whether c is one of the codes of PROTOCOL.md §2 and §3.
func knownCode(c string) bool {
	switch tr.Code(c) {
	case tr.InvalidArgument, tr.PermissionDenied, tr.NotFound, tr.TooManyRequests,
		tr.InternalError, tr.ServiceUnavailable, tr.BadRequest, tr.Unknown,
		tr.AuthorizationError, tr.HealthCheckFailed, tr.TooManyEntities:
		return true
	}
	return false
}

// cleanJudge accepts only a full answer: HTTP 200, data with sightings
// (the fake finds hits for every observable), and no errors. It is the
// judge of the standard scenario, where nothing should fail. It validates
// the answer in full (jsonscan.Members) once in fullEvery answers, and
// whenever it does not look like a full answer: every time where requests
// are slow anyway, a sample where the load generator's CPU would otherwise
// be a large part of what is measured.
func cleanJudge(fullEvery int64) judge {
	var n atomic.Int64
	return func(status int, body []byte) (string, bool) {
		if status != http.StatusOK {
			return fmt.Sprintf("status %d", status), false
		}
		full := n.Add(1)%fullEvery == 0
		if !full && bytes.HasPrefix(body, []byte(`{"data":{`)) && bytes.Contains(body, []byte(`"sightings":{"count":`)) &&
			!bytes.Contains(body, []byte(`"errors":[`)) {
			// Between samples, the relay's own answer shape is enough: a
			// full scan of every 70 KB answer costs the generator as much
			// CPU as the relay spends answering.
			return "ok", true
		}
		members, err := jsonscan.Members(body, "errors", "data")
		if err != nil {
			return "malformed JSON", false
		}
		if raw := members[0]; raw != nil {
			var errs []trError
			if json.Unmarshal(raw, &errs) != nil {
				return "malformed errors", false
			}
			return "errors: " + codes(errs), false
		}
		data, err := jsonscan.Members(members[1], "sightings")
		if err != nil {
			return "no data", false
		}
		if data[0] == nil {
			return "no sightings", false
		}
		return "ok", true
	}
}

// judgeWellFormed accepts any answer of the contract's shape: HTTP 200,
// a JSON object with data and/or errors, every error fatal with a known
// code and a message. It is the judge of the fault soak, where errors are
// expected but must be proper TR errors.
func judgeWellFormed(status int, body []byte) (string, bool) {
	if status != http.StatusOK {
		return fmt.Sprintf("status %d", status), false
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil || (len(a.Data) == 0 && a.Errors == nil) {
		return "malformed answer", false
	}
	if len(a.Errors) == 0 {
		return "data", true
	}
	for _, e := range a.Errors {
		// The one warning the relay gives: an answer cut to its bound.
		warning := e.Type == "warning" && tr.Code(e.Code) == tr.TooManyEntities
		if e.Type != "fatal" && !warning || !knownCode(e.Code) || e.Message == "" {
			return fmt.Sprintf("bad error %q/%q/%q", e.Type, e.Code, e.Message), false
		}
	}
	if len(a.Data) > 0 && !bytes.Equal(a.Data, []byte("null")) {
		return "data + errors: " + codes(a.Errors), true
	}
	return "errors: " + codes(a.Errors), true
}

// codes lists the distinct codes of errs, sorted.
func codes(errs []trError) string {
	var cs []string
	for _, e := range errs {
		if !slices.Contains(cs, e.Code) {
			cs = append(cs, e.Code)
		}
	}
	slices.Sort(cs)
	return strings.Join(cs, ", ")
}
