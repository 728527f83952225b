package jsonscan

import (
	"math/rand/v2"
	"testing"
)

// naiveEscapes is escapes written byte by byte.
func naiveEscapes(bs, in uint64, valid int) (esc, out uint64) {
	pending := in == 1
	for k := range valid {
		switch {
		case pending:
			esc |= 1 << k
			pending = false
		case bs>>k&1 == 1:
			pending = true
		}
	}
	if pending {
		out = 1
	}
	return esc, out
}

func TestEscapes(t *testing.T) {
	check := func(bs, in uint64, valid int) {
		t.Helper()
		bs &= 1<<valid - 1
		esc, out := escapes(bs, in, valid)
		wantEsc, wantOut := naiveEscapes(bs, in, valid)
		if esc != wantEsc || out != wantOut {
			t.Fatalf("escapes(%b, %d, %d) = %b, %d; want %b, %d", bs, in, valid, esc, out, wantEsc, wantOut)
		}
	}
	for bs := range uint64(1 << 16) {
		for in := range uint64(2) {
			check(bs, in, 16)
			check(bs, in, int(bs%16))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(r.Uint64()&r.Uint64()|0xFF00FF00&r.Uint64(), r.Uint64N(2), 1+r.IntN(step))
	}
	check(1<<step-1, 0, step)
	check(1<<step-1, 1, step)
}
