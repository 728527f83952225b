package jsonscan

// A Walk reads one JSON document in a single pass. The caller descends into
// the objects and arrays it wants with Object and Array, and reads the
// values it keeps with Value; every value it leaves alone is checked and
// skipped as Members checks it. A document walked to its end through
// Document has been checked in full, as Members would (the same grammar and
// MaxDepth), in one pass where Members and then EachMember take several:
// what its callbacks saw of a document that then fails may be anything.
type Walk struct {
	doc   []byte
	depth int // the containers open around the value being read
}

// NewWalk returns a Walk over doc.
func NewWalk(doc []byte) *Walk { return &Walk{doc: doc} }

// Document walks the document's top-level object with f (see Object), and
// refuses anything but whitespace after it; ErrNotObject when the document
// is a value of another kind.
func (w *Walk) Document(f func(name []byte, at int) (end int, err error)) error {
	end, err := w.Object(0, f)
	if err != nil {
		return err
	}
	return trailing(w.doc, end)
}

// Object reads the object that starts at doc[i] (after whitespace),
// calling f with the name of each member (as sent: quotes off, escapes not
// decoded) and the index its value starts at. f returns the index just past
// the value when it read the value itself, through this Walk's Object,
// Array or Value, or 0 to have Object check and skip it. Object returns the
// index just past the object.
func (w *Walk) Object(i int, f func(name []byte, at int) (end int, err error)) (int, error) {
	doc := w.doc
	i, done, err := w.open(i, '{', '}', ErrNotObject)
	for !done && err == nil {
		if i >= len(doc) || doc[i] != '"' {
			return 0, ErrNotJSON
		}
		var end int
		if end, err = scanString(doc, i); err != nil {
			return 0, err
		}
		name := doc[i+1 : end-1]
		if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
			return 0, ErrNotJSON
		}
		at := skipSpace(doc, i+1)
		if at >= len(doc) {
			return 0, ErrNotJSON
		}
		end, err = f(name, at)
		if end, err = w.settle(at, end, err); err != nil {
			return 0, err
		}
		i, done, err = w.next(end, '}')
	}
	return i, err
}

// Array is Object for the elements of the array that starts at doc[i]: f
// has the index each element starts at.
func (w *Walk) Array(i int, f func(at int) (end int, err error)) (int, error) {
	i, done, err := w.open(i, '[', ']', ErrNotJSON)
	for !done && err == nil {
		if i >= len(w.doc) {
			return 0, ErrNotJSON
		}
		var end int
		end, err = f(i)
		if end, err = w.settle(i, end, err); err != nil {
			return 0, err
		}
		i, done, err = w.next(end, ']')
	}
	return i, err
}

// Value checks the value that starts at doc[i] (after whitespace), of any
// kind, and returns the index just past it.
func (w *Walk) Value(i int) (int, error) {
	return scanValue(w.doc, i, false, MaxDepth-w.depth, nil, nil)
}

// open enters the container that opens with c at doc[i] (after
// whitespace), one level deeper; notOpen when another value starts there.
// It returns where the first item starts, or, when the container is empty
// (closing follows), done and the index past it.
func (w *Walk) open(i int, c, closing byte, notOpen error) (int, bool, error) {
	doc := w.doc
	if i = skipSpace(doc, i); i >= len(doc) {
		return 0, false, ErrNotJSON
	}
	if doc[i] != c {
		if startsValue(doc[i]) {
			return 0, false, notOpen
		}
		return 0, false, ErrNotJSON
	}
	if w.depth >= MaxDepth {
		return 0, false, ErrTooDeep
	}
	w.depth++
	if i = skipSpace(doc, i+1); i < len(doc) && doc[i] == closing {
		w.depth--
		return i + 1, true, nil
	}
	return i, false, nil
}

// settle is where the item that starts at at ends, given what the
// callback that read it returned: when it left the item alone (end 0),
// the item is checked and skipped.
func (w *Walk) settle(at, end int, err error) (int, error) {
	switch {
	case err != nil:
		return 0, err
	case end == 0:
		return w.Value(at)
	case end <= at || end > len(w.doc):
		return 0, ErrNotJSON // not an end the Walk's own methods returned
	}
	return end, nil
}

// next looks past the item that ends at end in a container closing with
// closing: after a comma it returns where the next item starts; on
// closing it leaves the container, and returns done and the index past it.
func (w *Walk) next(end int, closing byte) (int, bool, error) {
	doc := w.doc
	i := skipSpace(doc, end)
	switch {
	case i >= len(doc):
		return 0, false, ErrNotJSON
	case doc[i] == ',':
		return skipSpace(doc, i+1), false, nil
	case doc[i] == closing:
		w.depth--
		return i + 1, true, nil
	}
	return 0, false, ErrNotJSON
}
