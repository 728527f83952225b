package main

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

func TestTopLevel(t *testing.T) {
	tests := []struct {
		in   string
		keys []string // nil: not an object of the right shape
	}{
		{`{"data":{}}`, []string{"data"}},
		{` { "errors" : [ {"code":"x}\"]"} ] , "data" : {"a":[1,2,{"b":null}]} } `, []string{"data", "errors"}},
		{`{}`, []string{}},
		{`{"data":"a\\"}`, []string{"data"}},
		{`{"n":-1.5e3,"t":true}`, []string{"n", "t"}},
		{`[]`, nil},
		{`{"data":{}`, nil},
		{`{"data":{]}`, nil},
		{`{"data":"unterminated}`, nil},
		{`{"data":{}} trailing`, nil},
		{`{"data" {}}`, nil},
		{`{"data":}`, nil},
		{`{"a":1,}`, nil},
		{``, nil},
		{`<html>`, nil},
	}
	for _, tt := range tests {
		m, ok := topLevel([]byte(tt.in))
		if tt.keys == nil {
			if ok {
				t.Errorf("topLevel(%q) = %v, want a refusal", tt.in, m)
			}
			continue
		}
		if got := slices.Sorted(maps.Keys(m)); !ok || !slices.Equal(got, tt.keys) {
			t.Errorf("topLevel(%q) = %v, %v; want keys %v", tt.in, got, ok, tt.keys)
		}
	}
}

// FuzzTopLevel checks that the shape check accepts every JSON object and
// finds the members encoding/json finds.
func FuzzTopLevel(f *testing.F) {
	for _, s := range []string{`{"data":{"x":[1,"]"]}}`, `{"errors":[{"code":"a\"b"}]}`, `{}`, `{"a":1,"a":2}`, `[1]`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		got, ok := topLevel(b)
		if !ok {
			t.Fatalf("topLevel refused the JSON object %q", b)
		}
		for k, v := range got {
			var key string
			if json.Unmarshal([]byte(`"`+k+`"`), &key) != nil {
				t.Fatalf("key %q", k)
			}
			if _, found := want[key]; !found {
				t.Fatalf("topLevel found member %q that encoding/json did not (%q)", key, v)
			}
		}
	})
}
