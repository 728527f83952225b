package jsonscan

import (
	"errors"
	"strings"
	"testing"

	"urlscan-relay/internal/urlscan/urlscantest"
)

// walkAll walks doc descending into every object and array when descend
// is set (else skipping every member's value), and returns what it saw:
// names, and the scalars it read, in order.
func walkAll(doc []byte, descend bool) ([]string, error) {
	w := NewWalk(doc)
	var seen []string
	var value func(at int) (int, error)
	value = func(at int) (int, error) {
		switch doc[at] {
		case '{':
			if !descend {
				return 0, nil
			}
			return w.Object(at, func(name []byte, at int) (int, error) {
				seen = append(seen, "name:"+string(name))
				return value(at)
			})
		case '[':
			if !descend {
				return 0, nil
			}
			return w.Array(at, value)
		}
		end, err := w.Value(at)
		if err == nil {
			seen = append(seen, string(doc[at:end]))
		}
		return end, err
	}
	err := w.Document(func(name []byte, at int) (int, error) {
		seen = append(seen, "name:"+string(name))
		return value(at)
	})
	return seen, err
}

func TestWalkReadsWhatItIsAsked(t *testing.T) {
	doc := []byte(` { "a" : [1, {"b":"x\"y"}, []] , "c":{}, "d":null, "e\u0066":-1.5e3 } `)
	got, err := walkAll(doc, true)
	want := []string{"name:a", "1", "name:b", `"x\"y"`, "name:c", "name:d", "null", `name:e\u0066`, "-1.5e3"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("walk = %q, %v; want %q", got, err, want)
	}
	got, err = walkAll(doc, false)
	want = []string{"name:a", "name:c", "name:d", "null", `name:e\u0066`, "-1.5e3"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("walk without descending = %q, %v; want %q", got, err, want)
	}
}

func TestWalkRefusesWhatMembersRefuses(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	for _, tc := range []struct {
		doc string
		err error
	}{
		{`[1]`, ErrNotObject},
		{`"x"`, ErrNotObject},
		{``, ErrNotJSON},
		{`{`, ErrNotJSON},
		{`{"a":1} x`, ErrNotJSON},
		{`{"a":1,}`, ErrNotJSON},
		{`{"a" 1}`, ErrNotJSON},
		{`{"a":[1 2]}`, ErrNotJSON},
		{`{"a":[1,]}`, ErrNotJSON},
		{`{"a":{"b":[{"c":01}]}}`, ErrNotJSON},     // a bad number three levels down
		{`{"a":{"b":[{"c":"\x01"}]}}`, ErrNotJSON}, // a control character in a nested string
		{`{"a":{"b":[{"\q":1}]}}`, ErrNotJSON},     // a bad escape in a nested name
		{`{"a":{"b":[{"c":tru}]}}`, ErrNotJSON},    // a bad literal
		{`{"a":{"b":[{"c":1}}]}`, ErrNotJSON},      // brackets that do not match
		{`{"a":` + deep + `}`, ErrTooDeep},         // MaxDepth + 1 levels in all
		{`{"a":` + deep[1:len(deep)-1] + `}`, nil}, // exactly MaxDepth
	} {
		want := tc.err
		if _, err := Members([]byte(tc.doc)); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("Members(%.40q) = %v, want %v: the table is wrong", tc.doc, err, want)
		}
		for _, descend := range []bool{true, false} {
			if _, err := walkAll([]byte(tc.doc), descend); !errors.Is(err, want) && !(want == nil && err == nil) {
				t.Errorf("walk(%.40q, descend %v) = %v, want %v", tc.doc, descend, err, want)
			}
		}
	}
}

func TestWalkRefusesAnEndItDidNotGive(t *testing.T) {
	doc := []byte(`{"a":[1,2],"b":3}`)
	for _, end := range []int{-1, 5, len(doc) + 1} { // before the value, at its start, past the document
		err := NewWalk(doc).Document(func(_ []byte, at int) (int, error) {
			if end == 5 {
				return at, nil
			}
			return end, nil
		})
		if !errors.Is(err, ErrNotJSON) {
			t.Errorf("callback end %d: %v, want ErrNotJSON", end, err)
		}
	}
	stop := errors.New("stop")
	if err := NewWalk(doc).Document(func([]byte, int) (int, error) { return 0, stop }); !errors.Is(err, stop) {
		t.Errorf("a callback's error: %v", err)
	}
}

// FuzzWalk holds that a walk, descending everywhere or nowhere, accepts
// exactly the documents Members accepts, and never panics.
func FuzzWalk(f *testing.F) {
	urlscantest.SeedFuzz(f)
	f.Add([]byte(`{"results":[{"task":{"time":"2026-01-01T00:00:00.000Z"},"_id":"x"}],"total":1}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, want := Members(doc)
		for _, descend := range []bool{true, false} {
			_, err := walkAll(doc, descend)
			if (err == nil) != (want == nil) || errors.Is(want, ErrNotObject) != errors.Is(err, ErrNotObject) {
				t.Fatalf("%q: walk (descend %v) = %v, Members = %v", doc, descend, err, want)
			}
		}
	})
}
