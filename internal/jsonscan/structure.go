package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

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
func (s *Stream) skipContainer() error {
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
						return ErrNotJSON
					}
					depth += int(open) - int(closing)
					if depth == 0 {
						s.i = base + j + k + 1
						return nil
					}
					if depth == MaxDepth {
						return ErrTooDeep
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
