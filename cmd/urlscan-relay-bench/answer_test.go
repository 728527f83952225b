package main

import "testing"

func TestCleanJudge(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind string
		wantOK   bool
	}{
		{"full answer", 200, `{"data":{"sightings":{"count":1,"docs":[{}]},"verdicts":{}}}`, "ok", true},
		{"not 200", 500, `{"data":{"sightings":{}}}`, "status 500", false},
		{"errors", 200, `{"errors":[{"type":"fatal","code":"service unavailable","message":"m"}],"data":{"sightings":{}}}`, "errors: service unavailable", false},
		{"empty data", 200, `{"data":{}}`, "no sightings", false},
		{"sightings only nested", 200, `{"data":{"judgements":{"docs":[{"sightings":1}]}}}`, "no sightings", false},
		{"no data", 200, `{}`, "no data", false},
		{"not JSON", 200, `<html>`, "malformed JSON", false},
		{"shape fine, token not", 200, `{"data":{"sightings":tru}}`, "malformed JSON", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, ok := cleanJudge(1)(tt.status, []byte(tt.body))
			if kind != tt.wantKind || ok != tt.wantOK {
				t.Errorf("cleanJudge = %q, %v; want %q, %v", kind, ok, tt.wantKind, tt.wantOK)
			}
		})
	}
}

func TestJudgeWellFormed(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind string
		wantOK   bool
	}{
		{"data", 200, `{"data":{"sightings":{}}}`, "data", true},
		{"empty data", 200, `{"data":{}}`, "data", true},
		{"errors", 200, `{"errors":[{"type":"fatal","code":"too many requests","message":"m"}]}`, "errors: too many requests", true},
		{"errors with data", 200, `{"errors":[{"type":"fatal","code":"internal error","message":"m"},{"type":"fatal","code":"unknown","message":"n"}],"data":{"sightings":{}}}`,
			"data + errors: internal error, unknown", true},
		{"unknown code", 200, `{"errors":[{"type":"fatal","code":"oops","message":"m"}]}`, `bad error "fatal"/"oops"/"m"`, false},
		{"no message", 200, `{"errors":[{"type":"fatal","code":"unknown","message":""}]}`, `bad error "fatal"/"unknown"/""`, false},
		{"not fatal", 200, `{"errors":[{"type":"warning","code":"unknown","message":"m"}]}`, `bad error "warning"/"unknown"/"m"`, false},
		{"neither data nor errors", 200, `{}`, "malformed answer", false},
		{"truncated", 200, `{"data":{`, "malformed answer", false},
		{"status 500", 500, `{"errors":[]}`, "status 500", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, ok := judgeWellFormed(tt.status, []byte(tt.body))
			if kind != tt.wantKind || ok != tt.wantOK {
				t.Errorf("judgeWellFormed = %q, %v; want %q, %v", kind, ok, tt.wantKind, tt.wantOK)
			}
		})
	}
}
