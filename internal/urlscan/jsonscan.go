package urlscan

import (
	"errors"

	"github.com/tidwall/gjson"
)

// Two scanners read urlscan's JSON, and they check different amounts of it.
//
// scanObject, below, validates a whole document against the grammar of RFC
// 8259. It reads the small answers (search, scan submission, error bodies),
// which arrive buffered, and every member the relay keeps from a result
// document: gjson, which parses those members, does not validate.
//
// objectStream (jsonstream.go) reads result documents as they arrive. They
// are hundreds of KiB to several MiB, almost all data.requests, which the
// relay never reads. Validating every byte of them cost more CPU than the
// rest of a cold request put together, so objectStream checks the skipped
// members for structure only: strings closed (a backslash escapes the byte
// after it), brackets and braces balanced and matched, nesting at most
// maxJSONDepth, one top-level object of "name": value members with nothing
// but whitespace after it. A document whose structure is broken (truncated,
// unbalanced, not an object, trailing data) is refused; the content of a
// member the relay never reads (its numbers, literals, escapes, control
// characters) is not validated. Whatever the relay does read still is.

// maxJSONDepth bounds the nesting of an upstream document. Real urlscan
// documents nest about a dozen levels.
const maxJSONDepth = 512

var (
	errNotJSON   = errors.New("not valid JSON")
	errNotObject = errors.New("not a JSON object")
	errTooDeep   = errors.New("JSON nested too deeply")
)

// parseObject validates doc as one JSON object and returns the values of the
// named top-level members, in the order asked; a missing member is a zero
// gjson.Result. It never returns data for a document that is not valid JSON.
//
// scanObject crosses doc once, validating it and noting where the wanted
// members are; only those values are then parsed, by gjson. The returned
// values never alias doc, so its buffer can be reused.
func parseObject(doc []byte, members ...string) ([]gjson.Result, error) {
	spans := make([][]byte, len(members))
	if err := scanObject(doc, members, spans); err != nil {
		return nil, err
	}
	out := make([]gjson.Result, len(members))
	for k, s := range spans {
		if s != nil {
			out[k] = gjson.Parse(string(s)) // string() copies: nothing keeps doc alive
		}
	}
	return out, nil
}

// scanObject checks that doc is valid JSON (the grammar of RFC 8259, as
// encoding/json.Valid reads it) whose top level is an object nested at most
// maxJSONDepth deep, and sets spans[k] to the raw value of the first
// top-level member named want[k].
func scanObject(doc []byte, want []string, spans [][]byte) error {
	return scanJSON(doc, true, maxJSONDepth, want, spans)
}

// validValue checks that doc is one valid JSON value, of any kind, nested
// at most maxDepth (at most maxJSONDepth) deep.
func validValue(doc []byte, maxDepth int) error {
	return scanJSON(doc, false, maxDepth, nil, nil)
}

// scanJSON is scanObject, and validValue when object is false. It is
// iterative, so no input can exhaust the stack, and it never allocates.
func scanJSON(doc []byte, object bool, maxDepth int, want []string, spans [][]byte) error {
	var stack [maxJSONDepth]byte // the open containers: '{' or '['
	depth := 0
	member, memberStart := -1, 0 // the wanted top-level member being read

	i := skipSpace(doc, 0)
	if i >= len(doc) {
		return errNotJSON
	}
	if object && doc[i] != '{' {
		if startsValue(doc[i]) {
			return errNotObject
		}
		return errNotJSON
	}

value:
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return errNotJSON
	}
	switch doc[i] {
	case '{', '[':
		if depth >= maxDepth {
			return errTooDeep
		}
		open := doc[i]
		stack[depth] = open
		depth++
		i = skipSpace(doc, i+1)
		if i >= len(doc) {
			return errNotJSON
		}
		if open == '{' {
			if doc[i] == '}' {
				i++
				depth--
				goto after
			}
			goto key
		}
		if doc[i] == ']' {
			i++
			depth--
			goto after
		}
		goto value
	default:
		var err error
		if i, err = scanValueStart(doc, i); err != nil {
			return err
		}
		goto after
	}

key:
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != '"' {
		return errNotJSON
	}
	{
		start := i
		end, err := scanString(doc, i)
		if err != nil {
			return err
		}
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return errNotJSON
		}
		i = skipSpace(doc, i+1)
		if depth == 1 {
			member, memberStart = -1, i
			name := doc[start+1 : end-1]
			for k, w := range want {
				if spans[k] == nil && string(name) == w {
					member = k
					break
				}
			}
		}
	}
	goto value

after:
	if depth == 1 && member >= 0 {
		spans[member] = doc[memberStart:i]
		member = -1
	}
	i = skipSpace(doc, i)
	if depth == 0 {
		if i != len(doc) {
			return errNotJSON
		}
		return nil
	}
	if i >= len(doc) {
		return errNotJSON
	}
	switch c, open := doc[i], stack[depth-1]; {
	case c == ',' && open == '{':
		i++
		goto key
	case c == ',' && open == '[':
		i++
		goto value
	case c == '}' && open == '{', c == ']' && open == '[':
		i++
		depth--
		goto after
	}
	return errNotJSON
}

// scanValueStart checks the scalar (string, number, true, false, null) at
// doc[i] and returns the index just past it.
func scanValueStart(doc []byte, i int) (int, error) {
	switch c := doc[i]; {
	case c == '"':
		return scanString(doc, i)
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(doc, i)
	case c == 't':
		return scanLiteral(doc, i, "true")
	case c == 'f':
		return scanLiteral(doc, i, "false")
	case c == 'n':
		return scanLiteral(doc, i, "null")
	}
	return 0, errNotJSON
}

// startsValue reports whether c can open a JSON value.
func startsValue(c byte) bool {
	return c == '{' || c == '[' || c == '"' || c == '-' || '0' <= c && c <= '9' || c == 't' || c == 'f' || c == 'n'
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\r' || doc[i] == '\t') {
		i++
	}
	return i
}

// scanString checks the string that opens at doc[i] and returns the index
// just past it.
func scanString(doc []byte, i int) (int, error) {
	for i++; i < len(doc); i++ {
		c := doc[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		switch c {
		case '"':
			return i + 1, nil
		case '\\':
			i++
			if i >= len(doc) {
				return 0, errNotJSON
			}
			switch doc[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(doc) || !isHex(doc[i+1]) || !isHex(doc[i+2]) || !isHex(doc[i+3]) || !isHex(doc[i+4]) {
					return 0, errNotJSON
				}
				i += 4
			default:
				return 0, errNotJSON
			}
		default: // a control character
			return 0, errNotJSON
		}
	}
	return 0, errNotJSON
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber checks the number at doc[i] and returns the index just past
// it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(doc []byte, i int) (int, error) {
	if doc[i] == '-' {
		i++
	}
	switch {
	case i < len(doc) && doc[i] == '0':
		i++
	case i < len(doc) && '1' <= doc[i] && doc[i] <= '9':
		i = skipDigits(doc, i+1)
	default:
		return 0, errNotJSON
	}
	if i < len(doc) && doc[i] == '.' {
		j := skipDigits(doc, i+1)
		if j == i+1 {
			return 0, errNotJSON
		}
		i = j
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := skipDigits(doc, i)
		if j == i {
			return 0, errNotJSON
		}
		i = j
	}
	return i, nil
}

func skipDigits(doc []byte, i int) int {
	for i < len(doc) && '0' <= doc[i] && doc[i] <= '9' {
		i++
	}
	return i
}

func scanLiteral(doc []byte, i int, lit string) (int, error) {
	if len(doc)-i < len(lit) || string(doc[i:i+len(lit)]) != lit {
		return 0, errNotJSON
	}
	return i + len(lit), nil
}
