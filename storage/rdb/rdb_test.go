package rdb

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"
	"math/rand/v2"
	"strconv"
	"strings"
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
		p, _ := Dump(nil, v, true)
		f.Add(p)
	}
	p, _ := Dump([]byte("12345"), nil, false)
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
	Save(&buf, e, SaveOptions{Checksum: true, Compress: true, Aux: [][2]string{{"redis-ver", "7.0.15"}}})
	f.Add(buf.Bytes())
	f.Add([]byte("REDIS0009\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Load(b, storage.DefaultLimits(), LoadHandler{
			Key: func(int, []byte, []byte, storage.Value, int64, Hint) error { return nil },
		})
	})
}

// ziplist builds a ziplist as Redis 6 wrote them (prevlen, encoding, data).
func ziplist(elems ...any) []byte {
	var body []byte
	prev := 0
	for _, e := range elems {
		var ent []byte
		if prev < 254 {
			ent = append(ent, byte(prev))
		} else {
			ent = binary.LittleEndian.AppendUint32(append(ent, 0xFE), uint32(prev))
		}
		switch x := e.(type) {
		case string:
			switch l := len(x); {
			case l < 64:
				ent = append(ent, byte(l))
			case l < 16384:
				ent = append(ent, 0x40|byte(l>>8), byte(l))
			default:
				ent = binary.BigEndian.AppendUint32(append(ent, 0x80), uint32(l))
			}
			ent = append(ent, x...)
		case int:
			switch {
			case x >= 0 && x <= 12:
				ent = append(ent, 0xF1+byte(x))
			case x >= -128 && x <= 127:
				ent = append(ent, 0xFE, byte(int8(x)))
			case x >= -32768 && x <= 32767:
				ent = binary.LittleEndian.AppendUint16(append(ent, 0xC0), uint16(int16(x)))
			case x >= -1<<23 && x < 1<<23:
				u := uint32(x)
				ent = append(ent, 0xF0, byte(u), byte(u>>8), byte(u>>16))
			case x >= -1<<31 && x < 1<<31:
				ent = binary.LittleEndian.AppendUint32(append(ent, 0xD0), uint32(int32(x)))
			default:
				ent = binary.LittleEndian.AppendUint64(append(ent, 0xE0), uint64(x))
			}
		}
		prev = len(ent)
		body = append(body, ent...)
	}
	zl := make([]byte, 10, 11+len(body))
	zl = append(zl, body...)
	zl = append(zl, 0xFF)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(elems)))
	return zl
}

func TestOldEncodings(t *testing.T) {
	lim := storage.DefaultLimits()
	long := string(make([]byte, 300))
	zl := ziplist("a", 0, 12, -5, 300, -70000, 5000000, 1<<40, long, "")
	r := &Reader{B: AppendString(nil, zl)}
	_, v, err := r.ReadValue(TypeListZiplist, lim)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	v.(*storage.List).Each(func(e []byte) bool { got = append(got, string(e)); return true })
	want := []string{"a", "0", "12", "-5", "300", "-70000", "5000000", "1099511627776", long, ""}
	if len(got) != len(want) {
		t.Fatalf("list %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("element %d: %q, want %q", i, got[i], want[i])
		}
	}
	r = &Reader{B: AppendString(nil, ziplist("f", "v", "n", 7))}
	_, v, err = r.ReadValue(TypeHashZiplist, lim)
	if err != nil {
		t.Fatal(err)
	}
	if val, _ := v.(*storage.Hash).Get([]byte("n")); string(val) != "7" {
		t.Fatalf("hash n = %q", val)
	}
	r = &Reader{B: AppendString(nil, ziplist("m", "1.5", "k", 2))}
	_, v, err = r.ReadValue(TypeZsetZiplist, lim)
	if err != nil {
		t.Fatal(err)
	}
	if sc, _ := v.(*storage.ZSet).Score([]byte("m")); sc != 1.5 {
		t.Fatalf("zset m = %v", sc)
	}
	// zipmap: zmlen, then len key len free value…, 0xFF.
	zm := []byte{1, 1, 'f', 2, 1, 'o', 'k', 0, 0xFF}
	r = &Reader{B: AppendString(nil, zm)}
	_, v, err = r.ReadValue(TypeHashZipmap, lim)
	if err != nil {
		t.Fatal(err)
	}
	if val, _ := v.(*storage.Hash).Get([]byte("f")); string(val) != "ok" {
		t.Fatalf("zipmap f = %q", val)
	}
	for _, bad := range [][]byte{zl[:len(zl)-1], {1, 2, 3}} {
		r = &Reader{B: AppendString(nil, bad)}
		if _, _, err := r.ReadValue(TypeListZiplist, lim); err == nil {
			t.Fatalf("bad ziplist %x accepted", bad)
		}
	}
}

func TestLZFCompressRoundTrip(t *testing.T) {
	inputs := [][]byte{
		[]byte(strings.Repeat("abc", 1000)),
		[]byte(strings.Repeat("x", 70000)),
		[]byte("the quick brown fox jumps over the lazy dog, the quick brown fox jumps again"),
	}
	rnd := make([]byte, 5000)
	for i := range rnd {
		rnd[i] = byte(i * 7919 % 251)
	}
	inputs = append(inputs, rnd)
	for _, in := range inputs {
		c := LZFCompress(in)
		if c == nil {
			continue
		}
		out, ok := LZFDecompress(c, len(in))
		if !ok || string(out) != string(in) {
			t.Fatalf("round trip of %d bytes failed", len(in))
		}
	}
	if LZFCompress([]byte(strings.Repeat("ab", 500))) == nil {
		t.Fatal("a repetitive input did not compress")
	}
}

// TestCanonicalInt: canonicalInt agrees with "ParseInt succeeds and formats back the
// same" on edge cases and on random strings of digits and signs.
func TestCanonicalInt(t *testing.T) {
	ref := func(s []byte) (int64, bool) {
		v, err := strconv.ParseInt(string(s), 10, 64)
		return v, err == nil && strconv.FormatInt(v, 10) == string(s)
	}
	cases := []string{"", "-", "0", "-0", "00", "01", "-01", "7", "-7", "+7", " 7", "7 ", "1a",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"99999999999999999999", "12345678901234567890", "-1234567890123456789"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		b := make([]byte, rnd.IntN(22))
		for i := range b {
			b[i] = "0123456789-+x"[rnd.IntN(13)]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		v, ok := canonicalInt([]byte(c))
		rv, rok := ref([]byte(c))
		if ok != rok || ok && v != rv {
			t.Fatalf("canonicalInt(%q) = %d %v, want %d %v", c, v, ok, rv, rok)
		}
	}
}

// TestCRC64Slicing: the eight-bytes-at-a-time CRC equals the byte-at-a-time one for
// every length and split.
func TestCRC64Slicing(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*131 + 7)
	}
	ref := func(crc uint64, b []byte) uint64 { return ^crc64.Update(^crc, crcJones, b) }
	for n := range len(data) {
		if got, want := CRC64(0, data[:n]), ref(0, data[:n]); got != want {
			t.Fatalf("len %d: %x, want %x", n, got, want)
		}
		if got, want := CRC64(CRC64(0, data[:n/3]), data[n/3:n]), ref(0, data[:n]); got != want {
			t.Fatalf("len %d split: %x, want %x", n, got, want)
		}
	}
}
