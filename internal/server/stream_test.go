package server

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
)

// bigObserve is an observe answer of n sightings (and as many judgements
// and relationships) whose strings need every kind of escaping.
func bigObserve(n int) ctim.ObserveData {
	var (
		sg  []ctim.Sighting
		jd  []ctim.Judgement
		rel []ctim.Relationship
	)
	for i := range n {
		o := ctim.Observable{Type: "url", Value: fmt.Sprintf("http://a%d.example/<x>&y=\"z\"\u2028\u00e9\\", i)}
		sg = append(sg, ctim.Sighting{
			ID: fmt.Sprintf("transient:sighting-%d", i), Type: "sighting", SchemaVersion: ctim.SchemaVersion, Source: ctim.Source,
			Confidence: "High", Count: 1, Description: "Seen <b>here</b>", Observables: []ctim.Observable{o},
			ObservedTime: ctim.ObservedTime{StartTime: "2024-01-01T00:00:00.000Z", EndTime: "2024-01-01T00:00:00.000Z"},
			ExternalIDs:  []string{fmt.Sprint(i)},
			Data:         &ctim.Table{Columns: []ctim.Column{{Name: "requests", Type: "integer"}}, Rows: [][]stdjson.Number{{"12"}}},
			Relations:    []ctim.Relation{{Origin: "urlscan.io", Relation: "Resolved_To", Source: o, Related: ctim.Observable{Type: "ip", Value: "192.0.2.1"}}},
		})
		jd = append(jd, ctim.Judgement{ID: fmt.Sprintf("transient:judgement-%d", i), Type: "judgement", Observable: o,
			ExternalReferences: []ctim.ExternalReference{{SourceName: "urlscan.io", URL: "https://urlscan.io/result/x/?a=1&b=<2>"}}})
		rel = append(rel, ctim.Relationship{ID: fmt.Sprint(i), SourceRef: "a", TargetRef: "b"})
	}
	return ctim.ObserveData{
		Sightings: ctim.NewDocs(sg), Judgements: ctim.NewDocs(jd), Relationships: ctim.NewDocs(rel),
		Indicators: ctim.NewDocs([]ctim.Indicator{{ID: "i", Tags: []string{"<phishing>"}}}),
		Verdicts:   ctim.NewDocs([]ctim.Verdict{{Type: "verdict", Observable: ctim.Observable{Type: "ip", Value: "1.1.1.1"}}}),
	}
}

// writeSizes records the size of every write that reaches the client.
type writeSizes struct {
	*httptest.ResponseRecorder
	largest int
}

func (w *writeSizes) Write(b []byte) (int, error) {
	w.largest = max(w.largest, len(b))
	return w.ResponseRecorder.Write(b)
}

// TestStreamedAnswerIsTheEncodersBytes holds that a big answer, streamed,
// is byte for byte what encode (and encoding/json) write for it whole, and
// that it reaches the client in pieces, never built whole.
func TestStreamedAnswerIsTheEncodersBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		data ctim.ObserveData
		errs []error
	}{
		{"data", bigObserve(600), nil},
		{"data and errors", bigObserve(600), []error{tr.New(tr.TooManyRequests, "Too <many> requests."), errors.New("hidden")}},
		{"sightings only", ctim.ObserveData{Sightings: bigObserve(1200).Sightings}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if entities(tc.data) <= streamAbove {
				t.Fatalf("%d entities: not streamed", entities(tc.data))
			}
			r := httptest.NewRequest(http.MethodPost, "/observe/observables", nil)
			got := &writeSizes{ResponseRecorder: httptest.NewRecorder()}
			writeTR(got, r, tc.data, tc.errs)

			env := envelope{Data: tc.data}
			if tc.errs != nil {
				env.Errors = []trError{{Type: "fatal", Code: tr.TooManyRequests, Message: "Too <many> requests."}, {Type: "fatal", Code: tr.Unknown, Message: tr.From(tc.errs[1]).Message}}
			}
			whole := httptest.NewRecorder()
			encode(whole, http.StatusOK, env)
			std, err := stdjson.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body.Bytes(), whole.Body.Bytes()) {
				t.Errorf("streamed answer differs from encode's (%d and %d bytes):\n%.300s\n%.300s", got.Body.Len(), whole.Body.Len(), got.Body.Bytes(), whole.Body.Bytes())
			}
			if !bytes.Equal(bytes.TrimSuffix(got.Body.Bytes(), []byte("\n")), std) {
				t.Error("streamed answer differs from encoding/json's")
			}
			if got.Code != http.StatusOK || got.Header().Get("Content-Type") != "application/json" || got.Header().Get("Content-Length") != "" {
				t.Errorf("status %d, headers %v", got.Code, got.Header())
			}
			if got.largest > streamBuffer || got.Body.Len() < 4*streamBuffer {
				t.Errorf("largest write %d bytes of %d: the answer was not streamed", got.largest, got.Body.Len())
			}
		})
	}
}

// TestSmallAnswersAreBuiltWhole holds that a standard answer keeps its
// Content-Length.
func TestSmallAnswersAreBuiltWhole(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/observe/observables", nil)
	w := httptest.NewRecorder()
	writeTR(w, r, bigObserve(100), nil)
	if w.Header().Get("Content-Length") == "" {
		t.Error("a small answer was streamed")
	}
}

// TestStreamAbortsOnEncodingFailure holds that an entity that cannot be
// encoded aborts the answer instead of ending it as if whole.
func TestStreamAbortsOnEncodingFailure(t *testing.T) {
	data := bigObserve(600)
	data.Sightings.Docs[500].Data.Rows[0][0] = "not a number"
	r := httptest.NewRequest(http.MethodPost, "/observe/observables", nil)
	w := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
		if bytes.HasSuffix(w.Body.Bytes(), []byte("}\n")) {
			t.Error("a broken answer ended like a whole one")
		}
	}()
	writeTR(w, r, data, nil)
}
