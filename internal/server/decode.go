package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
)

// maxDepth bounds the nesting of any request body: observables are flat
// objects, so anything deeper is an attack, not a request.
const maxDepth = 16

// Bounds on the work of decoding a body, which happens before the token is
// checked. An observable is {"type", "value"} and perhaps a few keys more:
// an object of more than maxObjectTokens JSON tokens (keys, values and the
// tokens of nested values) is refused, as is a list of more than
// listItemsPerObservable × MAX_OBSERVABLES items, supported or not.
const (
	maxObjectTokens        = 32
	listItemsPerObservable = 4
)

// maxDrainBytes is how much of an oversized body is read and thrown away
// before answering: a client that sends its whole body before it reads
// (Python's urllib does) then gets the answer instead of a reset.
const maxDrainBytes = 32 << 20

// Marshmallow's messages, which SecureX users of the original relay know.
const (
	msgMissing  = "Missing data for required field."
	msgNotStr   = "Not a valid string."
	msgBlank    = "Shorter than minimum length 1."
	msgNotList  = "Invalid input type."
	msgNotObj   = "Invalid input type."
	msgDupKey   = "Duplicate key."
	maxReported = 10
)

// readBody reads the whole request body within the MAX_BODY_BYTES limit.
// An oversized body is refused, with an error that closes the connection
// after the answer; up to maxDrainBytes of the rest is read first (within
// the server's ReadTimeout), so that the client is not reset before it
// reads.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	// Built only on refusal: readBody runs for every POST.
	tooBig := func() error {
		return closeAfter{tr.New(tr.InvalidArgument, fmt.Sprintf(
			"Request body is larger than the limit of MAX_BODY_BYTES=%d bytes.", limit))}
	}
	if r.ContentLength > limit && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		// The client waits for a go-ahead it will not get: nothing to
		// drain.
		return nil, tooBig()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, tr.Invalid("Unable to read the request body")
	}
	if int64(len(body)) > limit {
		if r.ContentLength <= limit+maxDrainBytes {
			_, _ = io.CopyN(io.Discard, r.Body, maxDrainBytes)
		}
		return nil, tooBig()
	}
	return body, nil
}

// fieldErrors collects per-item field errors in marshmallow's shape:
// {"0": {"value": ["Missing data for required field."]}}.
type fieldErrors map[string]map[string][]string

func (fe fieldErrors) add(item, field, msg string) {
	if len(fe) >= maxReported && fe[item] == nil {
		return
	}
	if fe[item] == nil {
		fe[item] = map[string][]string{}
	}
	fe[item][field] = append(fe[item][field], msg)
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	b, _ := json.Marshal(map[string]map[string][]string(fe))
	return tr.Invalid(string(b))
}

func schemaError(msg string) error {
	b, _ := json.Marshal(map[string][]string{"_schema": {msg}})
	return tr.Invalid(string(b))
}

// decodeObservables reads `[{"type": "...", "value": "..."}, ...]` strictly:
// valid UTF-8, one JSON list of flat objects, string type and value that are
// not blank, no duplicate keys, nothing after the list. Other keys are
// ignored, as SecureX may add some.
func decodeObservables(body []byte, maxItems int) ([]ctim.Observable, error) {
	dec, err := newStrictDecoder(body)
	if err != nil {
		return nil, err
	}
	if !dec.delim('[') {
		return nil, dec.errOr(schemaError(msgNotList))
	}
	var out []ctim.Observable
	fe := fieldErrors{}
	for i := 0; dec.more(); i++ {
		if i == maxItems {
			return nil, tr.Invalid(fmt.Sprintf("The request body lists more than %d items", maxItems))
		}
		fields, ok := dec.object(fe, strconv.Itoa(i), false)
		if !ok {
			if dec.err != nil {
				return nil, dec.err
			}
			continue
		}
		obs := ctim.Observable{}
		obs.Type = requireString(fe, strconv.Itoa(i), "type", fields)
		obs.Value = requireString(fe, strconv.Itoa(i), "value", fields)
		out = append(out, obs)
	}
	if err := dec.end(']'); err != nil {
		return nil, err
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeObject reads one flat JSON object of string-keyed scalars, as the
// trigger body is.
func decodeObject(body []byte) (map[string]any, error) {
	dec, err := newStrictDecoder(body)
	if err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	if !dec.delim('{') {
		return nil, dec.errOr(schemaError(msgNotObj))
	}
	fields, ok := dec.object(fe, "_schema", true)
	if !ok && dec.err != nil {
		return nil, dec.err
	}
	if err := dec.end(0); err != nil {
		return nil, err
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return fields, nil
}

// readObject reads a request body within MAX_BODY_BYTES that is one flat
// JSON object (decodeObject), as the trigger and tile bodies are.
func (s *server) readObject(r *http.Request) (map[string]any, error) {
	body, err := readBody(r, s.Config.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	return decodeObject(body)
}

// requireString checks one required, non-blank string field.
func requireString(fe fieldErrors, item, name string, fields map[string]any) string {
	v, ok := fields[name]
	if !ok || v == nil {
		fe.add(item, name, msgMissing)
		return ""
	}
	s, ok := v.(string)
	if !ok {
		fe.add(item, name, msgNotStr)
		return ""
	}
	if strings.TrimSpace(s) == "" {
		fe.add(item, name, msgBlank)
		return ""
	}
	return s
}

// strictDecoder walks a JSON document token by token, which is what makes
// duplicate keys and depth visible.
type strictDecoder struct {
	dec *json.Decoder
	err error
	// objectLeft is the tokens the object being read may still hold;
	// negative outside an object.
	objectLeft int
}

func newStrictDecoder(body []byte) (*strictDecoder, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, tr.Invalid("The request body is empty")
	}
	if !utf8.Valid(body) {
		return nil, tr.Invalid("The request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return &strictDecoder{dec: dec, objectLeft: -1}, nil
}

func (d *strictDecoder) token() (json.Token, bool) {
	if d.err != nil {
		return nil, false
	}
	if d.objectLeft == 0 {
		d.err = tr.Invalid(fmt.Sprintf("An object in the request body holds more than %d JSON values", maxObjectTokens))
		return nil, false
	}
	t, err := d.dec.Token()
	if err != nil {
		d.err = tr.Invalid("The request body is not valid JSON")
		return nil, false
	}
	if d.objectLeft > 0 {
		d.objectLeft--
	}
	return t, true
}

// delim consumes the next token and reports whether it is the delimiter c.
func (d *strictDecoder) delim(c json.Delim) bool {
	t, ok := d.token()
	return ok && t == c
}

func (d *strictDecoder) more() bool { return d.err == nil && d.dec.More() }

// end consumes the closing delimiter (0: none) and demands the end of input.
func (d *strictDecoder) end(c json.Delim) error {
	if d.err != nil {
		return d.err
	}
	if c != 0 && !d.delim(c) {
		return d.errOr(tr.Invalid("The request body is not valid JSON"))
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return tr.Invalid("Unexpected data after the JSON document")
	}
	return nil
}

// errOr returns the decoder's own error, if it met one, else fallback.
func (d *strictDecoder) errOr(fallback error) error {
	if d.err != nil {
		return d.err
	}
	return fallback
}

// object reads one object, whose opening brace the caller may have consumed
// already (opened). Scalar values are kept; nested values are skipped within
// maxDepth and recorded as present but not scalar.
func (d *strictDecoder) object(fe fieldErrors, item string, opened bool) (map[string]any, bool) {
	// The item's own braces (or brackets) are two tokens more.
	d.objectLeft = maxObjectTokens + 2
	if opened {
		d.objectLeft--
	}
	defer func() { d.objectLeft = -1 }()
	if !opened {
		t, ok := d.token()
		if !ok {
			return nil, false
		}
		if t != json.Delim('{') {
			if delim, isDelim := t.(json.Delim); isDelim {
				if !d.skip(delim, 1) {
					return nil, false
				}
			}
			fe.add(item, "_schema", msgNotObj)
			return nil, false
		}
	}
	fields := map[string]any{}
	for d.more() {
		kt, ok := d.token()
		if !ok {
			return nil, false
		}
		key, _ := kt.(string)
		vt, ok := d.token()
		if !ok {
			return nil, false
		}
		if _, dup := fields[key]; dup {
			fe.add(item, key, msgDupKey)
		}
		if delim, isDelim := vt.(json.Delim); isDelim {
			if !d.skip(delim, 1) {
				return nil, false
			}
			fields[key] = struct{}{} // present, but not a scalar
			continue
		}
		fields[key] = vt
	}
	if !d.delim('}') {
		d.err = d.errOr(tr.Invalid("The request body is not valid JSON"))
		return nil, false
	}
	return fields, true
}

// skip consumes the rest of a nested value opened by delim.
func (d *strictDecoder) skip(open json.Delim, depth int) bool {
	if open != '[' && open != '{' {
		return true
	}
	for {
		if depth > maxDepth {
			d.err = tr.Invalid(fmt.Sprintf("The request body is nested deeper than %d levels", maxDepth))
			return false
		}
		t, ok := d.token()
		if !ok {
			return false
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
			if depth == 0 {
				return true
			}
		}
	}
}
