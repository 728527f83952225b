package urlscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tidwall/gjson"
)

// seedDocuments are the fuzz seeds shared by the decoders: the fixtures and
// a few shapes that once needed care.
func seedDocuments(f *testing.F) {
	for _, name := range []string{"search_ip_1.1.1.1.json", "result_13cde17f-a7f5-4e27-8a56-5e81bc086a37.json", "scan_response.json"} {
		b, err := os.ReadFile("urlscantest/fixtures/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"results":{}}`, `{"results":[{"_id":"a","stats":{"b":1,"a":2}}]}`,
		`{"task":{"time":"2020-01-01T00:00:00"},"verdicts":{"overall":{"malicious":true,"tags":{}}}}`,
		`{"data":{"requests":["\\\"",{"x":"]}"}]},"task":{}}`, `{"a":"\u00e9\ud800"}`, `{"a":1}{`, `{"a" : [ 1 , 2 ] } `,
	} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeSearch(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		hits, err := decodeSearch(doc)
		if err != nil {
			if hits != nil {
				t.Fatalf("error %v with %d hits", err, len(hits))
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("invalid JSON %q decoded without error", doc)
		}
		for _, h := range hits {
			if !ValidScanID(h.ID) {
				t.Fatalf("hit with id %q kept", h.ID)
			}
			for _, s := range h.Stats {
				if _, err := s.Value.Float64(); err != nil && !strings.ContainsAny(string(s.Value), "eE") {
					t.Fatalf("stat %q = %q is not a number", s.Name, s.Value)
				}
			}
		}
	})
}

// FuzzDecodeResult checks the streaming decoder of result documents: it
// never panics; how the document is cut into reads changes nothing; a
// valid JSON document gets the answer the strict decoder it replaced gave;
// and no truncated document is accepted. Invalid JSON may be accepted, as
// long as the members the relay reads are valid (jsonscan.go says why).
func FuzzDecodeResult(f *testing.F) {
	seedDocuments(f)
	for _, s := range []string{
		`{"data":{"requests":["0123456789abcdef\\\\\"0123456789abcdef\\"]},"task":{"reportURL":"0123456789abcdef\"x"}}`,
		`{"data":[["[{\"}]"]],"x":"\\","verdicts":{"overall":{"tags":["a\"]"]}}}`,
		`{"data":{"a":01,"b":"\q"},"task":{"time":"2020-01-01T00:00:00Z"}}`, `{"task":{}}}`, `{"task":1 2}`, `{"a":[}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s := newObjectStream()
		res, err := decodeResult(bytes.NewReader(doc), s)
		if (err == nil) != (res != nil) {
			t.Fatalf("got %+v and error %v", res, err)
		}
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(doc)), &recordReader{bytes.NewReader(doc), 7}, iotest.DataErrReader(bytes.NewReader(doc))} {
			got, gotErr := decodeResult(r, s)
			if !errors.Is(gotErr, err) || !reflect.DeepEqual(got, res) {
				t.Fatalf("read in pieces: got %+v, %v; whole: %+v, %v", got, gotErr, res, err)
			}
		}
		if want, wantErr := referenceResult(doc); !errors.Is(err, wantErr) || !reflect.DeepEqual(res, want) {
			t.Fatalf("%q: got %+v, %v; the byte-by-byte reference: %+v, %v", doc, res, err, want, wantErr)
		}
		if json.Valid(doc) {
			want, wantErr := decodeResultStrict(doc)
			if !errors.Is(err, wantErr) || !reflect.DeepEqual(res, want) {
				t.Fatalf("valid JSON %q: got %+v, %v; the strict decoder: %+v, %v", doc, res, err, want, wantErr)
			}
		}
		if err != nil {
			return
		}
		if !res.Time.IsZero() && res.Time.Location().String() != "UTC" {
			t.Fatalf("time %v not in UTC", res.Time)
		}
		end := len(bytes.TrimRight(doc, " \t\r\n"))
		for cut := 0; cut < end; cut += max(1, end/64) {
			if got, err := decodeResult(bytes.NewReader(doc[:cut]), s); err == nil {
				t.Fatalf("the truncated document %q decoded to %+v", doc[:cut], got)
			}
		}
		if got, err := decodeResult(bytes.NewReader(doc[:end-1]), s); err == nil {
			t.Fatalf("the truncated document %q decoded to %+v", doc[:end-1], got)
		}
	})
}

// FuzzScanObject checks the validating scanner against encoding/json
// (which documents are valid) and gjson (where the members are).
func FuzzScanObject(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		spans := make([][]byte, 2)
		err := scanObject(doc, []string{"task", "verdicts"}, spans)
		valid := json.Valid(doc)
		object := valid && gjson.ParseBytes(doc).IsObject()
		switch {
		case err == nil && !object:
			t.Fatalf("accepted %q, which is not a valid JSON object", doc)
		case err != nil && object && !errors.Is(err, errTooDeep):
			t.Fatalf("refused the valid object %q: %v", doc, err)
		case errors.Is(err, errNotObject) && !valid:
			// The scanner stops at the first byte; calling an invalid
			// non-object "not an object" is fine.
		}
		if err != nil {
			return
		}
		for k, name := range []string{"task", "verdicts"} {
			if got, want := string(spans[k]), gjson.GetBytes(doc, name).Raw; got != want {
				t.Fatalf("member %s: got %q, want %q", name, got, want)
			}
		}
	})
}

func FuzzSearchQuery(f *testing.F) {
	for _, s := range [][2]string{{"ip", "1.1.1.1"}, {"IPv6", "2606:4700::1"}, {"domain", "example.com"}, {"hostname", "a.b"}, {"url", `http://x/"a\b"`}, {"sha256", "ab"}, {"email", "a@b"}, {"url", ""}} {
		f.Add(s[0], s[1])
	}
	prefixes := map[string]string{"ip": "page.ip", "ipv6": "page.ip", "domain": "page.domain", "hostname": "page.domain", "url": "page.url", "sha256": "hash"}
	f.Fuzz(func(t *testing.T, typ, value string) {
		q, err := SearchQuery(typ, value)
		prefix, supported := prefixes[strings.ToLower(typ)]
		if !supported || value == "" {
			if err == nil {
				t.Fatalf("SearchQuery(%q, %q) = %q, want an error", typ, value, q)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		inner, ok := strings.CutPrefix(q, prefix+`:"`)
		if !ok || !strings.HasSuffix(inner, `"`) {
			t.Fatalf("got %q, want %s:\"…\"", q, prefix)
		}
		inner = inner[:len(inner)-1]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			switch inner[i] {
			case '\\':
				i++
				if i == len(inner) || (inner[i] != '\\' && inner[i] != '"') {
					t.Fatalf("got %q: a lone backslash", q)
				}
			case '"':
				t.Fatalf("got %q: an unescaped quote", q)
			}
			b.WriteByte(inner[i])
		}
		if b.String() != value {
			t.Fatalf("got %q, which reads back as %q, want %q", q, b.String(), value)
		}
	})
}

// referenceResult is decodeResult written plainly, a byte at a time, from
// the rules in jsonscan.go: the structure of the whole document is checked,
// and task and verdicts in full.
func referenceResult(doc []byte) (*Result, error) {
	i := 0
	space := func() {
		for i < len(doc) && strings.IndexByte(" \t\r\n", doc[i]) >= 0 {
			i++
		}
	}
	// str skips a string whose opening quote is at i.
	str := func() error {
		for i++; i < len(doc); i++ {
			switch doc[i] {
			case '\\':
				i++
			case '"':
				i++
				return nil
			}
		}
		return errNotJSON
	}
	// container skips the array or object that opens at i: a backslash
	// escapes the byte after it, an escaped quote is no quote, and a
	// bracket outside strings opens or closes a level.
	container := func() error {
		var stack []byte
		inString, escaped := false, false
		for ; i < len(doc); i++ {
			c, esc := doc[i], escaped
			escaped = false
			switch {
			case c == '\\' && !esc:
				escaped = true
			case c == '"' && !esc:
				inString = !inString
			case inString:
			case c == '{' || c == '[':
				if len(stack)+1 >= maxJSONDepth {
					return errTooDeep
				}
				stack = append(stack, c)
			case c == '}' || c == ']':
				if stack[len(stack)-1] != c-2 {
					return errNotJSON
				}
				if stack = stack[:len(stack)-1]; len(stack) == 0 {
					i++
					return nil
				}
			}
		}
		return errNotJSON
	}
	space()
	if i == len(doc) {
		return nil, errNotJSON
	}
	if doc[i] != '{' {
		if strings.IndexByte(`[{"-0123456789tfn`, doc[i]) >= 0 {
			return nil, errNotObject
		}
		return nil, errNotJSON
	}
	i++
	members := map[string]gjson.Result{}
	space()
	if i < len(doc) && doc[i] == '}' {
		i++
	} else {
		for {
			if i == len(doc) || doc[i] != '"' {
				return nil, errNotJSON
			}
			start := i
			if err := str(); err != nil {
				return nil, err
			}
			name := string(doc[start+1 : i-1])
			space()
			if i == len(doc) || doc[i] != ':' {
				return nil, errNotJSON
			}
			i++
			space()
			if i == len(doc) {
				return nil, errNotJSON
			}
			start = i
			var err error
			switch doc[i] {
			case '{', '[':
				err = container()
			case '"':
				err = str()
			case ',', ':', '}', ']':
				err = errNotJSON
			default:
				for i < len(doc) && strings.IndexByte(" \t\r\n,:{}[]\"", doc[i]) < 0 {
					i++
				}
			}
			if err != nil {
				return nil, err
			}
			if _, seen := members[name]; !seen && (name == "task" || name == "verdicts") {
				if err := validValue(doc[start:i], maxJSONDepth-1); err != nil {
					return nil, err
				}
				members[name] = gjson.ParseBytes(doc[start:i])
			}
			space()
			if i < len(doc) && doc[i] == ',' {
				i++
				space()
				continue
			}
			if i < len(doc) && doc[i] == '}' {
				i++
				break
			}
			return nil, errNotJSON
		}
	}
	space()
	if i != len(doc) {
		return nil, errNotJSON
	}
	return resultOf(members["task"], members["verdicts"]), nil
}
