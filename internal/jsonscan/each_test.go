package jsonscan

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/tidwall/gjson"

	"urlscan-relay/internal/urlscan/urlscantest"
)

func TestEachMember(t *testing.T) {
	type member struct{ name, value string }
	for _, tc := range []struct {
		doc  string
		want []member
		err  error
	}{
		{`{}`, nil, nil},
		{` { "a" : 1 , "b":[1,{"c":"]}"}], "a\u0062":"x\"y" } `, []member{{"a", "1"}, {"b", `[1,{"c":"]}"}]`}, {`a\u0062`, `"x\"y"`}}, nil},
		{`{"a":{"b":{}}}`, []member{{"a", `{"b":{}}`}}, nil},
		{`[1]`, nil, ErrNotObject},
		{`{"a":1`, []member{{"a", "1"}}, ErrNotJSON},
		{`{"a":1} x`, []member{{"a", "1"}}, ErrNotJSON},
		{`{"a":[1,2}`, nil, ErrNotJSON},
		{`{"a" 1}`, nil, ErrNotJSON},
		{`{"a":tru}`, nil, ErrNotJSON},
		{`{"a":"\x01"}`, nil, ErrNotJSON},
	} {
		var got []member
		err := EachMember([]byte(tc.doc), func(name, value []byte) bool {
			got = append(got, member{string(name), string(value)})
			return true
		})
		if !errors.Is(err, tc.err) || (tc.err == nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("EachMember(%q) = %q, %v; want %q, %v", tc.doc, got, err, tc.want, tc.err)
		}
	}
	n := 0
	if err := EachMember([]byte(`{"a":1,"b":2,"c":3}`), func(_, _ []byte) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Errorf("stopping after 2: %d members, %v", n, err)
	}
}

func TestEachElement(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
		err  error
	}{
		{`[]`, nil, nil},
		{`[ 1, "a", {"b":[]}, [[]], null ]`, []string{"1", `"a"`, `{"b":[]}`, `[[]]`, "null"}, nil},
		{`{}`, nil, ErrNotJSON},
		{`[1,]`, nil, ErrNotJSON},
		{`[1 2]`, nil, ErrNotJSON},
		{`[`, nil, ErrNotJSON},
	} {
		var got []string
		err := EachElement([]byte(tc.doc), func(v []byte) bool { got = append(got, string(v)); return true })
		if !errors.Is(err, tc.err) || (tc.err == nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("EachElement(%q) = %q, %v; want %q, %v", tc.doc, got, err, tc.want, tc.err)
		}
	}
	deep := make([]byte, 0, 2*MaxDepth+4)
	for range MaxDepth + 1 {
		deep = append(deep, '[')
	}
	for range MaxDepth + 1 {
		deep = append(deep, ']')
	}
	if err := EachElement(append(append([]byte("["), deep...), ']'), func([]byte) bool { return true }); !errors.Is(err, ErrTooDeep) {
		t.Errorf("a value nested past MaxDepth: %v, want ErrTooDeep", err)
	}
}

// FuzzEachMember holds that on any input EachMember never panics, and
// that on a valid object it reports exactly its members, in order, as
// gjson finds them, each value valid JSON.
func FuzzEachMember(f *testing.F) {
	urlscantest.SeedFuzz(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		var names, values []string
		err := EachMember(doc, func(name, value []byte) bool {
			names, values = append(names, string(name)), append(values, string(value))
			return true
		})
		if !json.Valid(doc) || !gjson.ParseBytes(doc).IsObject() || validValue(doc, MaxDepth) != nil {
			return
		}
		if err != nil {
			t.Fatalf("valid object %q refused: %v", doc, err)
		}
		var wantNames, wantValues []string
		gjson.ParseBytes(doc).ForEach(func(k, v gjson.Result) bool {
			wantNames, wantValues = append(wantNames, k.Raw[1:len(k.Raw)-1]), append(wantValues, v.Raw)
			return true
		})
		if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(values, wantValues) {
			t.Fatalf("%q: members %q = %q, want %q = %q", doc, names, values, wantNames, wantValues)
		}
		for _, v := range values {
			if !json.Valid([]byte(v)) {
				t.Fatalf("%q: value %q is not valid JSON", doc, v)
			}
		}
	})
}
