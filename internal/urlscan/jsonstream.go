package urlscan

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"

	"github.com/tidwall/gjson"
)

// A result document is read as it arrives, through a window of
// streamWindow bytes, so that the memory of one document in flight is the
// window and the few members kept, never the whole document (a cold relay
// request reads forty of them at once). What is checked of the members
// skipped is described at the top of jsonscan.go.

const (
	// streamWindow is larger than the largest read a TLS connection
	// answers (one 16 KiB record), so that one read fills what it can.
	streamWindow = 32 << 10

	// maxKeptText bounds the captured member text an objectStream keeps
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

// span is where a captured member lies in objectStream.text; end 0 means
// not found.
type span struct{ start, end int }

// objectStream reads JSON objects from readers, one at a time, and keeps
// the raw text of the wanted top-level members. Its buffers are reused from
// one document to the next; it is not safe for concurrent use.
type objectStream struct {
	r        io.Reader
	buf      []byte // the window; buf[i:n] is read and not yet scanned
	i, n     int
	err      error // what ended the input: io.EOF, or a read's error
	empty    int   // reads in a row that returned nothing
	text     []byte
	key      []byte
	keyLong  bool
	capStart int                    // where the member being captured starts in buf
	capture  bool                   // a wanted member is being read
	stack    [maxJSONDepth + 1]byte // stack[d] opened level d
}

func newObjectStream() *objectStream {
	return &objectStream{buf: make([]byte, streamWindow)}
}

// read scans the one JSON object that r holds, reading r to its end, and
// returns the values of the named top-level members in the order asked; a
// missing member is a zero gjson.Result. A wanted member is validated in
// full; the first of repeated members is kept. A failed read's error is
// returned as it came, so that the caller can tell a broken connection from
// a broken document. The values never alias the stream's buffers.
func (s *objectStream) read(r io.Reader, members ...string) ([]gjson.Result, error) {
	s.r, s.i, s.n, s.err, s.empty = r, 0, 0, nil, 0
	s.text, s.capture = s.text[:0], false
	defer s.release()

	var found [4]span // no allocation for the usual few members
	var spans []span
	if len(members) <= len(found) {
		spans = found[:len(members)]
	} else {
		spans = make([]span, len(members))
	}
	if err := s.scan(members, spans); err != nil {
		return nil, err
	}
	out := make([]gjson.Result, len(members))
	for k, sp := range spans {
		if sp.end == 0 {
			continue
		}
		v := s.text[sp.start:sp.end]
		if err := validValue(v, maxJSONDepth-1); err != nil {
			return nil, err
		}
		out[k] = gjson.Parse(string(v)) // string() copies: the buffers are reused
	}
	return out, nil
}

// release drops what must not outlive a document: its reader, and a text
// buffer grown too large by it.
func (s *objectStream) release() {
	s.r = nil
	if cap(s.text) > maxKeptText {
		s.text = nil
	}
}

// scan reads the top-level object, recording in spans[k] where the first
// member named want[k] was captured, then checks that only whitespace
// follows.
func (s *objectStream) scan(want []string, spans []span) error {
	c, err := s.peek()
	if err != nil {
		return truncated(err)
	}
	if c != '{' {
		if startsValue(c) {
			return errNotObject
		}
		return errNotJSON
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
			return errNotJSON
		}
		s.i++
		if err := s.readKey(); err != nil {
			return err
		}
		if c, err = s.peek(); err != nil {
			return truncated(err)
		}
		if c != ':' {
			return errNotJSON
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
			return errNotJSON
		}
	}
}

// wanted is the index of the wanted member named s.key not yet found, or -1.
func (s *objectStream) wanted(want []string, spans []span) int {
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
func (s *objectStream) end() error {
	_, err := s.peek()
	switch {
	case err == nil:
		return errNotJSON
	case err == io.EOF:
		return nil
	default:
		return err
	}
}

// truncated is the error of input that ended (err) inside the document.
func truncated(err error) error {
	if err == io.EOF {
		return errNotJSON
	}
	return err
}

// fill reads more of the document into the window, which has been
// scanned to its end. It returns io.EOF at the end of the input, or the
// read's error; whatever was read along with an error is scanned first.
func (s *objectStream) fill() error {
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
func (s *objectStream) peek() (byte, error) {
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
// its raw text (escapes as sent, as scanObject compares names) in s.key.
func (s *objectStream) readKey() error {
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
func (s *objectStream) keep(b []byte) {
	if s.keyLong || len(s.key)+len(b) > maxNameBytes {
		s.keyLong = true
		return
	}
	s.key = append(s.key, b...)
}

// skipValue skips the top-level member value that starts with c, at s.i.
func (s *objectStream) skipValue(c byte) error {
	switch c {
	case '{', '[':
		return s.skipContainer()
	case '"':
		s.i++
		return s.skipString()
	case ',', ':', '}', ']':
		return errNotJSON
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
func (s *objectStream) skipString() error {
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

// The lanes of a 64-bit word holding eight bytes of the document.
const (
	lanes    = 0x0101010101010101
	lanesLow = 0x7F7F7F7F7F7F7F7F
)

// zeroLanes has the low bit of each byte of x that is zero set, and no
// other bit.
func zeroLanes(x uint64) uint64 {
	return ^((x&lanesLow + lanesLow) | x | lanesLow) >> 7
}

// compact gathers the low bits of x's lanes into eight bits, first byte
// lowest. The multiply sends lane k's bit to bit 56+k, and no two partial
// products meet, so nothing carries.
func compact(x uint64) uint64 {
	return x * 0x0102040810204080 >> 56
}

// escapes tells which of up to 32 bytes are escaped, given the bits of
// their backslashes (bs), whether the first byte is escaped (in, 0 or 1),
// and how many of them are the document's (valid); out is whether the byte
// after those is. A backslash escapes the byte after it, unless it is
// escaped itself: in a run of backslashes, the byte after the run is
// escaped when the run is odd. This is simdjson's branch-free form: adding
// the runs' odd starts to the backslashes carries through each run.
func escapes(bs, in uint64, valid int) (esc, out uint64) {
	const even = 0x5555555555555555
	bs &^= in
	follows := bs<<1 | in
	oddStarts := bs &^ even &^ follows
	esc = (even ^ (oddStarts+bs)<<1) & follows
	return esc & (1<<valid - 1), esc >> valid & 1
}

// step is how many bytes skipContainer reads at once: four words.
const step = 32

// skipContainer skips the array or object that opens at s.i, which is
// nested in the top-level object, checking only its structure.
//
// It reads 32 bytes per step as four words, and finds their quotes and
// brackets with bit arithmetic instead of a branch per byte: a quote not
// escaped flips "inside a string" for the bytes after it, which a multiply
// turns into a running parity across each word; a bracket outside strings
// then opens or closes a level. Backslashes are rare in urlscan documents:
// bytes.IndexByte finds the next one, and only a step that holds one, or
// starts escaped, works out which of its quotes are escaped.
func (s *objectStream) skipContainer() error {
	var (
		outside uint64 = lanes // lanes when the next byte is outside strings
		escaped uint64         // 1 when the next byte is escaped
		depth   int            // levels open, the top-level object not counted
		pad     [step]byte
	)
	stack := &s.stack
	for {
		base, data := s.i, s.buf[s.i:s.n]
		full := len(data) / step * step
		block, valid := data[:full], step // valid: bytes of a step that are the document's
		nextSlash := bytes.IndexByte(block, '\\')
		if nextSlash < 0 {
			nextSlash = full
		}
		if escaped != 0 {
			nextSlash = 0 // the first step starts escaped
		}
		for tail := false; ; tail = true {
			for j := 0; j+step <= len(block); j += step {
				b := (*[step]byte)(block[j : j+step])
				w0, w1 := binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint64(b[8:16])
				w2, w3 := binary.LittleEndian.Uint64(b[16:24]), binary.LittleEndian.Uint64(b[24:32])
				q0, q1 := zeroLanes(w0^'"'*lanes), zeroLanes(w1^'"'*lanes)
				q2, q3 := zeroLanes(w2^'"'*lanes), zeroLanes(w3^'"'*lanes)
				if j+step > nextSlash {
					bs := compact(zeroLanes(w0^'\\'*lanes)) | compact(zeroLanes(w1^'\\'*lanes))<<8 |
						compact(zeroLanes(w2^'\\'*lanes))<<16 | compact(zeroLanes(w3^'\\'*lanes))<<24
					var esc uint64
					esc, escaped = escapes(bs, escaped, valid)
					quotes := compact(q0) | compact(q1)<<8 | compact(q2)<<16 | compact(q3)<<24
					for eq := esc & quotes; eq != 0; eq &= eq - 1 {
						k := bits.TrailingZeros64(eq)
						lane := uint64(1) << (8 * (k & 7))
						switch k >> 3 {
						case 0:
							q0 &^= lane
						case 1:
							q1 &^= lane
						case 2:
							q2 &^= lane
						default:
							q3 &^= lane
						}
					}
					switch nextSlash = bytes.IndexByte(block[j+step:], '\\'); {
					case escaped != 0:
						nextSlash = j + step // the next step starts escaped
					case nextSlash < 0:
						nextSlash = len(block)
					default:
						nextSlash += j + step
					}
				}
				// Each lane's count of the word's quotes up to it (at most
				// 8: no carry crosses lanes) has the parity in its low bit;
				// the top lane's is the word's, which flips outside for
				// the words after it.
				c0, c1, c2, c3 := q0*lanes&lanes, q1*lanes&lanes, q2*lanes&lanes, q3*lanes&lanes
				s0 := outside
				s1 := s0 ^ (c0>>56)*lanes
				s2 := s1 ^ (c1>>56)*lanes
				s3 := s2 ^ (c2>>56)*lanes
				outside = s3 ^ (c3>>56)*lanes
				// {, }, [, ] (and a few bytes never outside strings in
				// JSON: Y _ y DEL) are the bytes c with c&0xD9 == 0x59.
				// A lane above a match may match falsely; what the loop
				// below does with a byte that is no bracket changes nothing.
				x0, x1 := w0&(0xD9*lanes)^0x59*lanes, w1&(0xD9*lanes)^0x59*lanes
				x2, x3 := w2&(0xD9*lanes)^0x59*lanes, w3&(0xD9*lanes)^0x59*lanes
				// (Each lane's top bit, shifted to its low bit; the bits the
				// shift brings from the lane above fall outside lanes.)
				br0 := ((x0 - lanes) &^ x0) >> 7 & (c0 ^ s0)
				br1 := ((x1 - lanes) &^ x1) >> 7 & (c1 ^ s1)
				br2 := ((x2 - lanes) &^ x2) >> 7 & (c2 ^ s2)
				br3 := ((x3 - lanes) &^ x3) >> 7 & (c3 ^ s3)
				if br0|br1|br2|br3 == 0 {
					continue
				}
				// Branches on what each bracket is would be mispredicted
				// half the time: arithmetic is cheaper. A byte that is no
				// bracket leaves depth as it is, and writes only above the
				// top of the stack.
				for m := compact(br0) | compact(br1)<<8 | compact(br2)<<16 | compact(br3)<<24; m != 0; m &= m - 1 {
					k := bits.TrailingZeros64(m)
					c := b[k&(step-1)]
					t := uint32(c &^ 0x20) // { and } as [ and ]
					open, closing := (t^'['-1)>>31, (t^']'-1)>>31
					top := stack[depth]
					stack[depth+1] = c                   // a free slot, whatever c is
					if uint32(top^(c-2))&-closing != 0 { // '{' is '}'-2, '[' is ']'-2
						return errNotJSON
					}
					depth += int(open) - int(closing)
					if depth == 0 {
						s.i = base + j + k + 1
						return nil
					}
					if depth == maxJSONDepth {
						return errTooDeep
					}
				}
			}
			if tail || full == len(data) {
				break
			}
			// The last bytes of the window, fewer than a step: padded
			// with spaces, which change nothing.
			for k := range pad {
				pad[k] = ' '
			}
			valid = copy(pad[:], data[full:])
			base += full
			block, nextSlash = pad[:], 0
		}
		s.i = s.n
		if err := s.fill(); err != nil {
			return truncated(err)
		}
	}
}
