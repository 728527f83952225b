package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// Members checks that doc is valid JSON (the grammar of RFC 8259, as
// encoding/json.Valid reads it) whose top level is an object nested at most
// MaxDepth deep, and returns the raw values of the first top-level members
// with the given names, in the order asked; a missing member is nil. The
// values alias doc. It never returns values from a document that is not
// valid JSON.
func Members(doc []byte, names ...string) ([][]byte, error) {
	values := make([][]byte, len(names))
	if err := scanJSON(doc, true, MaxDepth, names, values); err != nil {
		return nil, err
	}
	return values, nil
}

// validValue checks that doc is one valid JSON value, of any kind, nested
// at most maxDepth (at most MaxDepth) deep.
func validValue(doc []byte, maxDepth int) error {
	return scanJSON(doc, false, maxDepth, nil, nil)
}

// scanJSON is Members, and validValue when object is false.
func scanJSON(doc []byte, object bool, maxDepth int, want []string, spans [][]byte) error {
	end, err := scanValue(doc, 0, object, maxDepth, want, spans)
	if err != nil {
		return err
	}
	if skipSpace(doc, end) != len(doc) {
		return ErrNotJSON
	}
	return nil
}

// scanValue checks the value that starts at doc[i] (after whitespace), as
// scanJSON does, and returns the index just past it. It is iterative, so
// no input can exhaust the stack, and it never allocates.
func scanValue(doc []byte, i int, object bool, maxDepth int, want []string, spans [][]byte) (int, error) {
	var stack [MaxDepth]byte // the open containers: '{' or '['
	depth := 0
	member, memberStart := -1, 0 // the wanted top-level member being read

	i = skipSpace(doc, i)
	if i >= len(doc) {
		return 0, ErrNotJSON
	}
	if object && doc[i] != '{' {
		if startsValue(doc[i]) {
			return 0, ErrNotObject
		}
		return 0, ErrNotJSON
	}

value:
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return 0, ErrNotJSON
	}
	switch doc[i] {
	case '{', '[':
		if depth >= maxDepth {
			return 0, ErrTooDeep
		}
		open := doc[i]
		stack[depth] = open
		depth++
		i = skipSpace(doc, i+1)
		if i >= len(doc) {
			return 0, ErrNotJSON
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
			return 0, err
		}
		goto after
	}

key:
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != '"' {
		return 0, ErrNotJSON
	}
	{
		start := i
		end, err := scanString(doc, i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return 0, ErrNotJSON
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
	if depth == 0 {
		return i, nil
	}
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return 0, ErrNotJSON
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
	return 0, ErrNotJSON
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
	return 0, ErrNotJSON
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
		// Eight bytes at a time to the next quote, backslash or control
		// character: the lowest lane each test marks is exact.
		for i+8 <= len(doc) {
			w := binary.LittleEndian.Uint64(doc[i:])
			m := zeroLanes(w^'"'*lanes) | zeroLanes(w^'\\'*lanes) | (w-0x20*lanes)&^w&(0x80*lanes)>>7
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i == len(doc) {
			break
		}
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
				return 0, ErrNotJSON
			}
			switch doc[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(doc) || !isHex(doc[i+1]) || !isHex(doc[i+2]) || !isHex(doc[i+3]) || !isHex(doc[i+4]) {
					return 0, ErrNotJSON
				}
				i += 4
			default:
				return 0, ErrNotJSON
			}
		default: // a control character
			return 0, ErrNotJSON
		}
	}
	return 0, ErrNotJSON
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
		return 0, ErrNotJSON
	}
	if i < len(doc) && doc[i] == '.' {
		j := skipDigits(doc, i+1)
		if j == i+1 {
			return 0, ErrNotJSON
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
			return 0, ErrNotJSON
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
		return 0, ErrNotJSON
	}
	return i + len(lit), nil
}
