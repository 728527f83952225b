// Package logtest holds a log sink for tests that read a log while the
// code under test writes it.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer safe to read (String) while others write to it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
