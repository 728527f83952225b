package jsonscan

// EachMember calls f with the name and the raw value of each member of the
// object doc, in order, until f returns false. Names are as sent: quotes
// off, escapes not decoded (what Members compares). Values are raw JSON
// and alias doc.
//
// It is made for a value Members has already validated (a search answer's
// hits, read once they are known to be JSON): it checks the structure it
// walks, never panics, and refuses what is not an object with ErrNotJSON
// or ErrNotObject, but what it reported before such an error may be
// anything.
func EachMember(doc []byte, f func(name, value []byte) bool) error {
	return walk(doc, '{', '}', ErrNotObject, func(i int) (int, bool, error) {
		if i >= len(doc) || doc[i] != '"' {
			return 0, false, ErrNotJSON
		}
		end, err := scanString(doc, i)
		if err != nil {
			return 0, false, err
		}
		name := doc[i+1 : end-1]
		if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
			return 0, false, ErrNotJSON
		}
		i = skipSpace(doc, i+1)
		if end, err = valueEnd(doc, i); err != nil {
			return 0, false, err
		}
		return end, f(name, doc[i:end]), nil
	})
}

// EachElement is EachMember for the elements of the array doc.
func EachElement(doc []byte, f func(value []byte) bool) error {
	return walk(doc, '[', ']', ErrNotJSON, func(i int) (int, bool, error) {
		end, err := valueEnd(doc, i)
		if err != nil {
			return 0, false, err
		}
		return end, f(doc[i:end]), nil
	})
}

// walk reads the container doc, which opens with open and closes with
// closing (notOpen when it does not open so), handing item the index of
// each of its items; item returns where the item ends and whether to go
// on.
func walk(doc []byte, open, closing byte, notOpen error, item func(i int) (end int, more bool, err error)) error {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != open {
		return notOpen
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == closing {
		return trailing(doc, i+1)
	}
	for {
		end, more, err := item(i)
		if err != nil || !more {
			return err
		}
		switch i = skipSpace(doc, end); {
		case i < len(doc) && doc[i] == ',':
			i = skipSpace(doc, i+1)
		case i < len(doc) && doc[i] == closing:
			return trailing(doc, i+1)
		default:
			return ErrNotJSON
		}
	}
}

// valueEnd is the index just past the value that starts at doc[i]: a
// scalar is checked as Members checks it, a container only for balanced
// brackets and closed strings.
func valueEnd(doc []byte, i int) (int, error) {
	if i >= len(doc) {
		return 0, ErrNotJSON
	}
	if c := doc[i]; c != '{' && c != '[' {
		return scanValueStart(doc, i)
	}
	depth := 0
	for ; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			end, err := scanString(doc, i)
			if err != nil {
				return 0, err
			}
			i = end - 1
		case '{', '[':
			if depth++; depth > MaxDepth {
				return 0, ErrTooDeep
			}
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, nil
			}
		}
	}
	return 0, ErrNotJSON
}

// trailing refuses anything but whitespace after a value's end at i.
func trailing(doc []byte, i int) error {
	if skipSpace(doc, i) != len(doc) {
		return ErrNotJSON
	}
	return nil
}
