package rdb

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/shoal-db/shoal/storage"
)

func TestCRC64(t *testing.T) {
	// The check value of Redis's crc64 (src/crc64.c).
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

func TestLZF(t *testing.T) {
	// "aaaaaaaaaa": literal 'a', then a back reference of length 9 at distance 1.
	out, ok := LZFDecompress([]byte{0x00, 'a', 0xe0, 0x00, 0x00}, 10)
	if !ok || string(out) != "aaaaaaaaaa" {
		t.Fatalf("%q %v", out, ok)
	}
}

func TestListpackRoundTrip(t *testing.T) {
	elems := []string{"", "a", "0", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32768",
		"8388607", "-8388609", "2147483647", "2147483648", "-9223372036854775808", "9223372036854775807",
		"01", "1.5", string(make([]byte, 63)), string(make([]byte, 64)), string(make([]byte, 4095)),
		string(make([]byte, 4096)), string(make([]byte, 20000))}
	var lb ListpackBuilder
	for _, e := range elems {
		lb.Append([]byte(e))
	}
	var got []string
	if err := ListpackEach(lb.Bytes(), func(e []byte) error { got = append(got, string(e)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(elems) {
		t.Fatalf("%d elements back of %d", len(got), len(elems))
	}
	for i := range elems {
		if got[i] != elems[i] {
			t.Errorf("element %d: %q, want %q", i, got[i], elems[i])
		}
	}
}

// FuzzRestore feeds arbitrary payloads to RESTORE's decoder: ErrBadFormat or
// ErrPayload, never a panic or an unbounded allocation.
func FuzzRestore(f *testing.F) {
	lim := storage.DefaultLimits()
	h := storage.NewHash()
	h.Set([]byte("f"), []byte("v"), lim)
	st := storage.NewStream()
	st.Append(storage.StreamID{Ms: 1, Seq: 1}, [][]byte{[]byte("f"), []byte("v")}, 100, 4096)
	st.Append(storage.StreamID{Ms: 2, Seq: 1}, [][]byte{[]byte("g"), []byte("w")}, 100, 4096)
	g := st.CreateGroup("grp", storage.StreamID{Ms: 1, Seq: 1}, 1)
	cons, _ := g.Consumer("c", 5)
	g.Deliver(storage.StreamID{Ms: 1, Seq: 1}, cons, 7)
	for _, v := range []storage.Value{h, st} {
		p, _ := Dump(nil, v)
		f.Add(p)
	}
	p, _ := Dump([]byte("12345"), nil)
	f.Add(p)
	f.Fuzz(func(t *testing.T, b []byte) {
		// Fix the checksum so the fuzzer reaches the decoders.
		if len(b) >= 10 {
			binary.LittleEndian.PutUint64(b[len(b)-8:], CRC64(0, b[:len(b)-8]))
		}
		Restore(b, lim)
	})
}

// FuzzLoad feeds arbitrary files to the RDB loader: an error or keys, never a panic.
func FuzzLoad(f *testing.F) {
	e := storage.New(storage.Options{})
	db := e.DB(0)
	db.SetString(0, []byte("k"), []byte("v"), 0, false)
	h := storage.NewHash()
	h.Set([]byte("f"), []byte("12"), storage.DefaultLimits())
	db.SetValue(5, []byte("h"), h, 1<<40, false)
	var buf bytes.Buffer
	Save(&buf, e, SaveOptions{Checksum: true, Aux: [][2]string{{"redis-ver", "7.0.15"}}})
	f.Add(buf.Bytes())
	f.Add([]byte("REDIS0009\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Load(b, storage.DefaultLimits(), LoadHandler{
			Key: func(int, []byte, []byte, storage.Value, int64) error { return nil },
		})
	})
}
