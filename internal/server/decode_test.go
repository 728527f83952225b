package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
)

func TestDecodeObservables(t *testing.T) {
	got, err := decodeObservables([]byte(`[{"type":"IP","value":"1.1.1.1"},{"value":"a.com","type":"domain","extra":{"x":[1]}}]`), 100)
	if err != nil {
		t.Fatalf("decodeObservables error: %v", err)
	}
	want := []ctim.Observable{{Type: "IP", Value: "1.1.1.1"}, {Type: "domain", Value: "a.com"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("decodeObservables = %v, want %v", got, want)
	}
	if got, err := decodeObservables([]byte(" [] "), 100); err != nil || len(got) != 0 {
		t.Errorf("decodeObservables([]) = %v, %v; want empty, nil", got, err)
	}
}

func TestDecodeObservablesRejects(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	tests := []struct {
		name, body, wantIn string
	}{
		{"empty", ``, "empty"},
		{"blank", "  \n", "empty"},
		{"not json", `hello`, "not valid JSON"},
		{"object", `{"type":"ip","value":"1.1.1.1"}`, "_schema"},
		{"string", `"ip"`, "_schema"},
		{"number", `42`, "_schema"},
		{"null", `null`, "_schema"},
		{"truncated", `[{"type":"ip","value":"1.1.1.1"}`, "not valid JSON"},
		{"trailing data", `[] []`, "Unexpected data"},
		{"trailing garbage", `[]x`, "Unexpected data"},
		{"missing value", `[{"type":"ip"}]`, `{"0":{"value":["Missing data for required field."]}}`},
		{"missing type", `[{"value":"x"}]`, `"type":["Missing data for required field."]`},
		{"null value", `[{"type":"ip","value":null}]`, `"value":["Missing data for required field."]`},
		{"number value", `[{"type":"ip","value":1}]`, `"value":["Not a valid string."]`},
		{"list value", `[{"type":"ip","value":["1.1.1.1"]}]`, `"value":["Not a valid string."]`},
		{"blank value", `[{"type":"ip","value":"  "}]`, `"value":["Shorter than minimum length 1."]`},
		{"blank type", `[{"type":"","value":"x"}]`, `"type":["Shorter than minimum length 1."]`},
		{"item not object", `[{"type":"ip","value":"x"}, 3]`, `{"1":{"_schema":["Invalid input type."]}}`},
		{"item list", `[[1,2]]`, `{"0":{"_schema":["Invalid input type."]}}`},
		{"duplicate key", `[{"type":"ip","value":"1.1.1.1","value":"2.2.2.2"}]`, `"value":["Duplicate key."]`},
		{"deep nesting", `[{"type":"ip","value":"x","z":` + deep + `}]`, "nested deeper"},
		{"deep list", deep, "nested deeper"},
		{"invalid utf8", "[{\"type\":\"ip\",\"value\":\"\xff\xfe\"}]", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeObservables([]byte(tt.body), 100)
			var te *tr.Error
			if !errors.As(err, &te) {
				t.Fatalf("decodeObservables(%q) error = %v, want a *tr.Error", tt.body, err)
			}
			if te.Code != tr.InvalidArgument {
				t.Errorf("code = %q, want %q", te.Code, tr.InvalidArgument)
			}
			if !strings.HasPrefix(te.Message, "Invalid JSON payload received. ") || !strings.HasSuffix(te.Message, ".") {
				t.Errorf("message %q lacks the original relay's frame", te.Message)
			}
			if !strings.Contains(te.Message, tt.wantIn) {
				t.Errorf("message %q does not contain %q", te.Message, tt.wantIn)
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	got, err := decodeObject([]byte(`{"action-id":"a","observable_type":"url","observable_value":"http://x","visibility":"private"}`))
	if err != nil {
		t.Fatalf("decodeObject error: %v", err)
	}
	if got["action-id"] != "a" || got["visibility"] != "private" {
		t.Errorf("decodeObject = %v", got)
	}
	for _, body := range []string{`[]`, `{"a":1,"a":2}`, `{"a":1}{}`, `{"a":`, "\xff"} {
		if _, err := decodeObject([]byte(body)); err == nil {
			t.Errorf("decodeObject(%q) succeeded, want an error", body)
		}
	}
}

func FuzzDecodeObservables(f *testing.F) {
	for _, seed := range []string{
		`[{"type":"ip","value":"1.1.1.1"}]`, `[]`, `{}`, `[{"type":"ip","value":"1","value":"2"}]`,
		`[[[[[[[[]]]]]]]]`, `[{"type":1}]`, "\xff", `[{"type":"url","value":"http://a/\u0000"}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obs, err := decodeObservables(body, 100)
		if err != nil {
			var te *tr.Error
			if !errors.As(err, &te) || te.Code != tr.InvalidArgument {
				t.Fatalf("error %v is not an invalid-argument *tr.Error", err)
			}
			return
		}
		for _, o := range obs {
			if strings.TrimSpace(o.Type) == "" || strings.TrimSpace(o.Value) == "" {
				t.Fatalf("accepted a blank observable %+v from %q", o, body)
			}
		}
	})
}

// hostileBodies are bodies of about 1 MiB (MAX_BODY_BYTES) built to cost
// the decoder the most work per byte before any token is checked.
func hostileBodies() map[string][]byte {
	const size = 1 << 20
	extra := `[{"type":"ip","value":"1.1.1.1","extra":[` + strings.Repeat("0,", (size-64)/2) + `0]}]`
	tiny := "[" + strings.Repeat(`{"type":"x","value":"y"},`, (size-32)/24) + `{"type":"x","value":"y"}]`
	keys := `[{"type":"ip","value":"1.1.1.1"` + strings.Repeat(`,"k":0`, (size-64)/6) + `}]`
	return map[string][]byte{"one extra array": []byte(extra), "tiny objects": []byte(tiny), "many keys": []byte(keys)}
}

func BenchmarkDecodeHostile(b *testing.B) {
	for name, body := range hostileBodies() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_, _ = decodeObservables(body, listItemsPerObservable*500)
			}
		})
	}
}

// Bodies within MAX_BODY_BYTES that would make the decoder walk a million
// tokens are refused at the bound, well before their end.
func TestDecodeBoundsTheWorkOfOneBody(t *testing.T) {
	want := map[string]string{
		"one extra array": fmt.Sprintf("more than %d JSON values", maxObjectTokens),
		"many keys":       fmt.Sprintf("more than %d JSON values", maxObjectTokens),
		"tiny objects":    fmt.Sprintf("more than %d items", listItemsPerObservable*500),
	}
	for name, body := range hostileBodies() {
		// Each body is valid JSON: only the bounds refuse it, and they
		// stop the decoder where they are reached (BenchmarkDecodeHostile
		// measures the time).
		_, err := decodeObservables(body, listItemsPerObservable*500)
		var te *tr.Error
		if !errors.As(err, &te) || te.Code != tr.InvalidArgument || !strings.Contains(te.Message, want[name]) {
			t.Errorf("%s: error %v, want invalid argument saying %q", name, err, want[name])
		}
	}
	// What SecureX sends stays well inside the bounds: 500 observables
	// with a few extra keys each.
	var b strings.Builder
	b.WriteString("[")
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"domain","value":"host-%d.example.com","source":"investigation","tags":["a","b"],"meta":{"seen":%d}}`, i, i)
	}
	b.WriteString("]")
	if obs, err := decodeObservables([]byte(b.String()), listItemsPerObservable*500); err != nil || len(obs) != 500 {
		t.Errorf("500 observables with extra keys: %d, %v", len(obs), err)
	}
}
