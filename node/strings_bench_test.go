package node

import (
	"net"
	"strconv"
	"testing"
)

// benchClient returns a client of a fresh in-process server whose commands the
// benchmark runs through the executor directly (lookup, arity, locks, handler, stats),
// without the socket; directives are startShoal's.
func benchClient(b *testing.B, directives ...string) (*Server, *Client) {
	b.Helper()
	s, _ := startShoal(b, directives...)
	nc, other := net.Pipe()
	b.Cleanup(func() { nc.Close(); other.Close() })
	return s, s.newClient(nc)
}

// benchKeys returns n distinct keys.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	return keys
}

// BenchmarkSetGet is one SET and one GET of a 16-byte value over 1000 keys.
// Allocations per op are those of the stored value only (the SET's new entry).
func BenchmarkSetGet(b *testing.B) {
	s, c := benchClient(b)
	keys := benchKeys(1000)
	val := []byte("0123456789abcdef")
	set, get := [][]byte{[]byte("SET"), nil, val}, [][]byte{[]byte("GET"), nil}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i%len(keys)]
		set[1], get[1] = k, k
		s.execute(c, set)
		s.execute(c, get)
		c.w.Reset()
	}
}

// BenchmarkGet is GET of existing keys: no allocation.
func BenchmarkGet(b *testing.B) {
	s, c := benchClient(b)
	keys := benchKeys(1000)
	for _, k := range keys {
		s.execute(c, [][]byte{[]byte("SET"), k, []byte("0123456789abcdef")})
	}
	benchKeyed(b, s, c, keys, [][]byte{[]byte("GET"), nil})
}

// benchKeyed runs args through the executor b.N times, its argument 1 cycling over
// keys.
func benchKeyed(b *testing.B, s *Server, c *Client, keys, args [][]byte) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		args[1] = keys[i%len(keys)]
		s.execute(c, args)
		c.w.Reset()
	}
}

// BenchmarkIncr is INCR over 1000 counters.
func BenchmarkIncr(b *testing.B) {
	s, c := benchClient(b)
	keys := benchKeys(1000)
	benchKeyed(b, s, c, keys, [][]byte{[]byte("INCR"), nil})
}

// BenchmarkAppend is APPEND of 8 bytes to one growing value (amortized O(1)).
func BenchmarkAppend(b *testing.B) {
	s, c := benchClient(b)
	app := [][]byte{[]byte("APPEND"), []byte("k"), []byte("01234567")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%(1<<16) == 0 {
			s.execute(c, [][]byte{[]byte("DEL"), []byte("k")})
		}
		s.execute(c, app)
		c.w.Reset()
	}
}
