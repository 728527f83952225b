package jsonscan

import "errors"

// EachMember calls f with the name and the raw value of each member of the
// object doc, in order, until f returns false. Names are as sent: quotes
// off, escapes not decoded (what Members compares). Values are raw JSON
// and alias doc.
//
// It is made for a value Members or a Walk has already checked (a hit's
// page, its stats): it walks doc with a Walk, so it checks what it walks
// as they do, never panics, and refuses what is not an object with
// ErrNotJSON or ErrNotObject; what it reported before such an error may be
// anything.
func EachMember(doc []byte, f func(name, value []byte) bool) error {
	w := NewWalk(doc)
	return stopped(w.Document(func(name []byte, at int) (int, error) {
		end, err := w.Value(at)
		if err == nil && !f(name, doc[at:end]) {
			return 0, errStop
		}
		return end, err
	}))
}

// EachElement is EachMember for the elements of the array doc.
func EachElement(doc []byte, f func(value []byte) bool) error {
	w := NewWalk(doc)
	end, err := w.Array(0, func(at int) (int, error) {
		end, err := w.Value(at)
		if err == nil && !f(doc[at:end]) {
			return 0, errStop
		}
		return end, err
	})
	if err != nil {
		return stopped(err)
	}
	return trailing(doc, end)
}

// errStop ends a walk whose callback asked for no more.
var errStop = errors.New("jsonscan: stopped")

// stopped is err, but nil for a walk its callback stopped.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// trailing refuses anything but whitespace after a value's end at i.
func trailing(doc []byte, i int) error {
	if skipSpace(doc, i) != len(doc) {
		return ErrNotJSON
	}
	return nil
}
