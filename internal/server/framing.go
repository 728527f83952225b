package server

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
)

// A request with both Content-Length and Transfer-Encoding may be framed
// differently by a proxy in front of the relay and by the relay: the
// classic request-smuggling setup. RFC 9112 §6.1 has a server that
// receives one close the connection after answering it. Go's server
// follows Transfer-Encoding and deletes Content-Length before the handler
// sees the request, so the relay reads the framing itself, from the bytes
// as they arrive: framing follows each connection's request heads and
// bodies just far enough to find the next head, and notes for each head
// whether it carried both fields.

// Bounds of what framing holds: a line is kept up to maxFramingLine bytes
// (enough for any field name and length); heads read ahead of the handler
// are bounded by what the server buffers, and past maxFramingAhead the
// connection is treated as unknown.
const (
	maxFramingLine  = 1024
	maxFramingAhead = 1024
)

type framingKey struct{}

type framingState uint8

const (
	inRequestLine framingState = iota
	inHeaders
	inBody      // left bytes of a Content-Length body, or of a chunk's data
	inChunkSize // the chunk-size line
	inChunkEnd  // the CRLF after a chunk's data
	inTrailers  // trailer lines after the last chunk
	lost        // framing no longer known; stays so
)

// framing is one connection's request framing as the relay reads it.
type framing struct {
	mu    sync.Mutex
	state framingState
	line  []byte // the current line, up to maxFramingLine bytes
	long  bool   // the current line was longer than that
	left  uint64 // in inBody and inChunkEnd: bytes still to skip
	chunk bool   // the body after inBody is chunked

	// the head being read
	http10      bool
	clValue     string
	clCount     int
	teCount     int
	teIsChunked bool

	ambiguous []bool // per head read and not yet claimed by its handler
}

func newFraming() *framing { return &framing{} }

// next claims the oldest head read and not yet claimed: whether it carried
// both Content-Length and Transfer-Encoding, and whether the framing is
// known at all (false: the connection must not be trusted further).
func (f *framing) next() (ambiguous, known bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == lost || len(f.ambiguous) == 0 {
		return false, false
	}
	a := f.ambiguous[0]
	f.ambiguous = f.ambiguous[1:]
	return a, true
}

// feed reads bytes the connection received.
func (f *framing) feed(p []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(p) > 0 && f.state != lost {
		switch f.state {
		case inBody:
			n := uint64(len(p))
			if n > f.left {
				n = f.left
			}
			f.left -= n
			p = p[n:]
			if f.left == 0 {
				f.bodyDone()
			}
		case inChunkEnd:
			// Exactly CRLF follows a chunk's data; anything else the
			// server refuses, and so does framing.
			want := "\r\n"[2-f.left]
			if p[0] != want {
				f.state = lost
				return
			}
			p = p[1:]
			if f.left--; f.left == 0 {
				f.state = inChunkSize
			}
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				f.keep(p)
				return
			}
			f.keep(p[:i])
			p = p[i+1:]
			f.endLine()
			f.line, f.long = f.line[:0], false
		}
	}
}

func (f *framing) keep(b []byte) {
	room := maxFramingLine - len(f.line)
	if len(b) > room {
		b, f.long = b[:room], true
	}
	f.line = append(f.line, b...)
}

// endLine acts on one whole line, without its LF.
func (f *framing) endLine() {
	line := bytes.TrimSuffix(f.line, []byte("\r"))
	switch f.state {
	case inRequestLine:
		if len(line) == 0 || f.long {
			// The server refuses an empty request line; one longer than
			// framing keeps is a URL too long for any route here, and
			// its version, at the end, is out of sight.
			f.state = lost
			return
		}
		f.http10 = bytes.HasSuffix(line, []byte(" HTTP/1.0"))
		f.clValue, f.clCount, f.teCount, f.teIsChunked = "", 0, 0, false
		f.state = inHeaders
	case inHeaders:
		if len(line) == 0 && !f.long {
			f.headDone()
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			return // continues the previous field's value
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return // the server refuses it
		}
		switch {
		case equalFold(name, "content-length"):
			if f.long {
				f.state = lost
				return
			}
			v := string(bytes.Trim(value, " \t"))
			if f.clCount > 0 && v != f.clValue {
				f.state = lost // differing lengths: the server refuses them
				return
			}
			f.clValue = v
			f.clCount++
		case equalFold(name, "transfer-encoding"):
			f.teCount++
			f.teIsChunked = !f.long && equalFold(bytes.Trim(value, " \t"), "chunked")
		}
	case inChunkSize:
		size, _, _ := bytes.Cut(line, []byte(";"))
		size = bytes.TrimRight(size, " \t")
		n, err := strconv.ParseUint(string(size), 16, 64)
		if err != nil || f.long || !bytes.HasSuffix(f.line, []byte("\r")) {
			f.state = lost
			return
		}
		if n == 0 {
			f.state = inTrailers
			return
		}
		f.state, f.left, f.chunk = inBody, n, true
	case inTrailers:
		if len(line) == 0 && !f.long {
			f.state = inRequestLine
		}
	}
}

// headDone records a finished head and moves to its body, framed as the
// server frames it: Transfer-Encoding chunked wins over Content-Length,
// except in HTTP/1.0, where Transfer-Encoding is ignored.
func (f *framing) headDone() {
	if len(f.ambiguous) >= maxFramingAhead {
		f.state = lost
		return
	}
	f.ambiguous = append(f.ambiguous, f.clCount > 0 && f.teCount > 0)
	switch {
	case f.teCount > 0 && !f.http10:
		if f.teCount != 1 || !f.teIsChunked {
			f.state = lost // the server refuses any other coding
			return
		}
		f.state = inChunkSize
	case f.clCount > 0:
		n, err := strconv.ParseUint(f.clValue, 10, 63)
		if err != nil || f.clValue[0] == '+' {
			f.state = lost
			return
		}
		f.state, f.left, f.chunk = inBody, n, false
		if n == 0 {
			f.bodyDone()
		}
	default:
		f.state = inRequestLine
	}
}

func (f *framing) bodyDone() {
	if f.chunk {
		f.state, f.left = inChunkEnd, 2
		return
	}
	f.state = inRequestLine
}

func equalFold(b []byte, s string) bool {
	return len(b) == len(s) && bytes.EqualFold(b, []byte(s))
}

// refuseAmbiguousFraming answers 400 to a request that carried both
// Content-Length and Transfer-Encoding, and closes its connection. When
// the relay lost track of a connection's framing (the server refuses what
// it could not follow, so this is a stream no client sends), the request
// is served but its connection is closed after it.
func refuseAmbiguousFraming(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := r.Context().Value(framingKey{}).(*framing)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ambiguous, known := f.next()
		if ambiguous || !known {
			w.Header().Set("Connection", "close")
		}
		if ambiguous {
			http.Error(w, "Bad Request: both Content-Length and Transfer-Encoding", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
