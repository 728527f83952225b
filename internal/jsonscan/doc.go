// Package jsonscan reads the top-level members of a JSON object from
// untrusted input without parsing the rest of it.
//
// Two forms check different amounts of a document.
//
// Members reads a buffered document and validates the whole of it against
// the grammar of RFC 8259, as encoding/json.Valid reads it. It suits small
// documents, where every byte may matter.
//
// A Stream reads a document as it arrives, through a fixed window, so that
// a document in flight costs the window and the members kept, never its
// size. It checks the members it skips for structure only: strings closed
// (a backslash escapes the byte after it), brackets and braces balanced
// and matched, nesting at most MaxDepth, one top-level object of
// "name": value members with nothing but whitespace after it. A document
// whose structure is broken (truncated, unbalanced, not an object, trailing
// data) is refused; the content of a member skipped (its numbers, literals,
// escapes, control characters) is not validated. The members asked for
// still are, in full.
//
// A Walk checks a document in the same single pass in which its caller
// descends into the members it reads, such as a search answer's hits.
// EachMember and EachElement walk the members of one object, or the
// elements of one array, with a Walk, without parsing them into values.
//
// Both forms keep the first of repeated members, compare member names as
// sent (escapes not decoded), and are iterative, so that no input can
// exhaust the stack.
package jsonscan

import "errors"

// MaxDepth bounds the nesting of a document, the top-level object
// included.
const MaxDepth = 512

// The errors of a document refused. A Stream returns a failed read's error
// as it came instead, so that a caller can tell a broken connection from a
// broken document.
var (
	ErrNotJSON   = errors.New("not valid JSON")
	ErrNotObject = errors.New("not a JSON object")
	ErrTooDeep   = errors.New("JSON nested too deeply")
)
