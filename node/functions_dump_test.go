package node

import (
	"testing"

	"github.com/shoal-db/shoal/storage/rdb"
)

// FuzzFunctionPayload feeds arbitrary DUMP payload bodies to the RDB string decoder
// FUNCTION RESTORE uses: it must reject or decode, never panic or allocate without
// bound.
func FuzzFunctionPayload(f *testing.F) {
	f.Add([]byte{rdb.OpFunction2, 3, 'a', 'b', 'c'})
	f.Add([]byte{rdb.OpFunction2, 0xc3, 4, 10, 1, 'a', 'b', 0xe0, 0, 1})
	f.Add([]byte{rdb.OpFunction2, 0x80, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := rdb.Reader{B: b}
		for r.Off < len(b) {
			if b[r.Off] != rdb.OpFunction2 {
				return
			}
			r.Off++
			s, err := r.String()
			if err != nil {
				return
			}
			if len(s) > len(b)*300 {
				t.Fatalf("decoded %d bytes from %d", len(s), len(b))
			}
		}
	})
}
