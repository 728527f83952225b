package jsonscan

import "io"

// A Stream reads a document through a window of streamWindow bytes; what
// it checks of the members it skips is in the package documentation.

const (
	// streamWindow is larger than the largest read a TLS connection
	// answers (one 16 KiB record), so that one read fills what it can, and
	// large enough that a 300 KiB document takes a few reads: against a
	// 32 KiB window, the relay's CPU per cold request fell by about a tenth,
	// most of it system time (docs/BENCHMARKS.md).
	streamWindow = 128 << 10

	// maxKeptText bounds the captured member text a Stream keeps
	// for its next document: a hostile document's huge member must not
	// stay pinned in the pool.
	maxKeptText = 256 << 10

	// maxNameBytes is the longest member name compared with the wanted
	// ones; longer names are never wanted.
	maxNameBytes = 64

	// maxEmptyReads is how many reads in a row may return nothing before
	// the reader is taken as stuck.
	maxEmptyReads = 100
)

// span is where a captured member lies in Stream.text; end 0 means
// not found.
type span struct{ start, end int }

// Stream reads JSON objects from readers, one at a time, and keeps the raw
// text of the wanted top-level members. Its buffers are reused from one
// document to the next; it is not safe for concurrent use.
type Stream struct {
	r        io.Reader
	buf      []byte // the window; buf[i:n] is read and not yet scanned
	i, n     int
	err      error // what ended the input: io.EOF, or a read's error
	empty    int   // reads in a row that returned nothing
	text     []byte
	key      []byte
	keyLong  bool
	capStart int                // where the member being captured starts in buf
	capture  bool               // a wanted member is being read
	stack    [MaxDepth + 1]byte // stack[d] opened level d
	values   [][]byte           // what Members returns
}

// NewStream returns a Stream with its window.
func NewStream() *Stream {
	return &Stream{buf: make([]byte, streamWindow)}
}

// Members scans the one JSON object that r holds, reading r to its end, and
// returns the raw values of the first top-level members with the given
// names, in the order asked; a missing member is nil. The members asked
// for are validated in full. A failed read's error is returned as it came.
//
// The values, and the slice holding them, are the Stream's: they are valid
// until its next call, and must be copied to be kept.
func (s *Stream) Members(r io.Reader, names ...string) ([][]byte, error) {
	s.r, s.i, s.n, s.err, s.empty = r, 0, 0, nil, 0
	s.text, s.capture = s.text[:0], false
	defer s.release()

	var found [4]span // no allocation for the usual few members
	var spans []span
	if len(names) <= len(found) {
		spans = found[:len(names)]
	} else {
		spans = make([]span, len(names))
	}
	if err := s.scan(names, spans); err != nil {
		return nil, err
	}
	s.values = s.values[:0]
	for _, sp := range spans {
		if sp.end == 0 {
			s.values = append(s.values, nil)
			continue
		}
		v := s.text[sp.start:sp.end:sp.end]
		if err := validValue(v, MaxDepth-1); err != nil {
			return nil, err
		}
		s.values = append(s.values, v)
	}
	return s.values, nil
}

// release drops what must not outlive a document: its reader, and a text
// buffer grown too large by it, with the values that point into it (the
// caller's copy of the slice stays valid).
func (s *Stream) release() {
	s.r = nil
	if cap(s.text) > maxKeptText {
		s.text, s.values = nil, nil
	}
}

// scan reads the top-level object, recording in spans[k] where the first
// member named want[k] was captured, then checks that only whitespace
// follows.
func (s *Stream) scan(want []string, spans []span) error {
	c, err := s.peek()
	if err != nil {
		return truncated(err)
	}
	if c != '{' {
		if startsValue(c) {
			return ErrNotObject
		}
		return ErrNotJSON
	}
	s.i++
	if c, err = s.peek(); err != nil {
		return truncated(err)
	}
	if c == '}' {
		s.i++
		return s.end()
	}
	for {
		if c != '"' {
			return ErrNotJSON
		}
		s.i++
		if err := s.readKey(); err != nil {
			return err
		}
		if c, err = s.peek(); err != nil {
			return truncated(err)
		}
		if c != ':' {
			return ErrNotJSON
		}
		s.i++
		if c, err = s.peek(); err != nil {
			return truncated(err)
		}
		member, start := s.wanted(want, spans), len(s.text)
		if member >= 0 {
			// fill moves what the window holds of the value to s.text.
			s.capture, s.capStart = true, s.i
		}
		if err := s.skipValue(c); err != nil {
			return err
		}
		if member >= 0 {
			s.text = append(s.text, s.buf[s.capStart:s.i]...)
			s.capture = false
			spans[member] = span{start, len(s.text)}
		}
		if c, err = s.peek(); err != nil {
			return truncated(err)
		}
		switch c {
		case ',':
			s.i++
			if c, err = s.peek(); err != nil {
				return truncated(err)
			}
		case '}':
			s.i++
			return s.end()
		default:
			return ErrNotJSON
		}
	}
}

// wanted is the index of the wanted member named s.key not yet found, or -1.
func (s *Stream) wanted(want []string, spans []span) int {
	if s.keyLong {
		return -1
	}
	for k, w := range want {
		if spans[k].end == 0 && string(s.key) == w {
			return k
		}
	}
	return -1
}

// end checks that nothing but whitespace follows the object.
func (s *Stream) end() error {
	_, err := s.peek()
	switch {
	case err == nil:
		return ErrNotJSON
	case err == io.EOF:
		return nil
	default:
		return err
	}
}

// truncated is the error of input that ended (err) inside the document.
func truncated(err error) error {
	if err == io.EOF {
		return ErrNotJSON
	}
	return err
}

// fill reads more of the document into the window, which has been
// scanned to its end. It returns io.EOF at the end of the input, or the
// read's error; whatever was read along with an error is scanned first.
func (s *Stream) fill() error {
	if s.capture {
		s.text = append(s.text, s.buf[s.capStart:s.n]...)
		s.capStart = 0
	}
	s.i, s.n = 0, 0
	for s.err == nil {
		n, err := s.r.Read(s.buf)
		s.n = n
		if err != nil {
			s.err = err
		}
		if n > 0 {
			s.empty = 0
			return nil
		}
		if s.empty++; s.empty == maxEmptyReads && s.err == nil {
			s.err = io.ErrNoProgress
		}
	}
	return s.err
}

// peek returns the next byte that is not whitespace, leaving it unread.
func (s *Stream) peek() (byte, error) {
	for {
		for ; s.i < s.n; s.i++ {
			if c := s.buf[s.i]; c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, nil
			}
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

// readKey reads a member name whose opening quote has been read, keeping
// its raw text (escapes as sent, as Members compares names) in s.key.
func (s *Stream) readKey() error {
	s.key, s.keyLong = s.key[:0], false
	escaped := false
	for {
		start := s.i
		for ; s.i < s.n; s.i++ {
			c := s.buf[s.i]
			if escaped {
				escaped = false
				continue
			}
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				s.keep(s.buf[start:s.i])
				s.i++
				return nil
			}
		}
		s.keep(s.buf[start:s.i])
		if err := s.fill(); err != nil {
			return truncated(err)
		}
	}
}

// keep adds b to the member name being read, unless the name is already
// too long to be wanted.
func (s *Stream) keep(b []byte) {
	if s.keyLong || len(s.key)+len(b) > maxNameBytes {
		s.keyLong = true
		return
	}
	s.key = append(s.key, b...)
}

// skipValue skips the top-level member value that starts with c, at s.i.
func (s *Stream) skipValue(c byte) error {
	switch c {
	case '{', '[':
		return s.skipContainer()
	case '"':
		s.i++
		return s.skipString()
	case ',', ':', '}', ']':
		return ErrNotJSON
	}
	// A number or a literal: checked in full later if it is wanted.
	for {
		for ; s.i < s.n; s.i++ {
			switch s.buf[s.i] {
			case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
				return nil
			}
		}
		if err := s.fill(); err != nil {
			return truncated(err)
		}
	}
}

// skipString skips the rest of a string whose opening quote has been read.
func (s *Stream) skipString() error {
	escaped := false
	for {
		for ; s.i < s.n; s.i++ {
			c := s.buf[s.i]
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				s.i++
				return nil
			}
		}
		if err := s.fill(); err != nil {
			return truncated(err)
		}
	}
}
