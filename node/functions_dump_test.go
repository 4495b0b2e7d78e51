package node

import (
	"encoding/binary"
	"testing"
)

func TestRedisCRC64(t *testing.T) {
	// The check value of Redis's crc64 (src/crc64.c).
	if got := redisCRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

// FuzzFunctionPayload feeds arbitrary DUMP payload bodies to the RDB string and LZF
// decoders FUNCTION RESTORE uses: they must reject or decode, never panic or allocate
// without bound.
func FuzzFunctionPayload(f *testing.F) {
	f.Add([]byte{rdbOpcodeFunction2, 3, 'a', 'b', 'c'})
	f.Add([]byte{rdbOpcodeFunction2, 0xc3, 4, 10, 1, 'a', 'b', 0xe0, 0, 1})
	f.Add([]byte{rdbOpcodeFunction2, 0x80, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for p := 0; p < len(b); {
			if b[p] != rdbOpcodeFunction2 {
				return
			}
			s, next, ok := readRDBString(b, p+1)
			if !ok {
				return
			}
			if len(s) > len(b)*300 {
				t.Fatalf("decoded %d bytes from %d", len(s), len(b))
			}
			p = next
		}
	})
}

func TestLZFRoundTripOfRedisSample(t *testing.T) {
	// "aaaaaaaaaa" as Redis's LZF writes it: literal 'a', then a back reference of
	// length 9 at distance 1.
	in := []byte{0x00, 'a', 0xe0, 0x00, 0x00}
	out, ok := lzfDecompress(in, 10)
	if !ok || string(out) != "aaaaaaaaaa" {
		t.Fatalf("%q %v", out, ok)
	}
	var b []byte
	b = appendRDBLen(b, 70000)
	n, enc, _, ok := readRDBLen(b, 0)
	if !ok || n != 70000 || enc != -1 || binary.BigEndian.Uint32(b[1:]) != 70000 {
		t.Fatalf("length %d %d %v", n, enc, ok)
	}
}
