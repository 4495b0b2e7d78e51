package storage

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The benchmarks below mimic redis-benchmark -r 100000: 100,000 distinct random keys or
// members of the form "key:%012d", accessed in random order, so each operation misses
// the caches as a server's do.

const benchSpace = 100000

type benchKeys struct {
	keys  [][]byte
	slots []int
}

func newBenchKeys(prefix string) *benchKeys {
	r := rand.New(rand.NewPCG(1, 2))
	bk := &benchKeys{keys: make([][]byte, 1<<20), slots: make([]int, 1<<20)}
	for i := range bk.keys {
		bk.keys[i] = fmt.Appendf(nil, "%s%012d", prefix, r.IntN(benchSpace))
		bk.slots[i] = int(dictHash(bk.keys[i]) % SlotCount)
	}
	return bk
}

func BenchmarkKeyspaceRandomGet(b *testing.B) {
	e, _ := testEngine(b)
	db := e.DB(0)
	bk := newBenchKeys("key:")
	for i := range bk.keys {
		db.SetString(bk.slots[i], bk.keys[i], []byte("xxx"), 0, false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		db.GetString(bk.slots[j], bk.keys[j])
		i++
	}
}

func BenchmarkKeyspaceRandomSet(b *testing.B) {
	e, _ := testEngine(b)
	db := e.DB(0)
	bk := newBenchKeys("key:")
	for i := range bk.keys {
		db.SetString(bk.slots[i], bk.keys[i], []byte("xxx"), 0, false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		db.SetString(bk.slots[j], bk.keys[j], []byte("yyy"), 0, false)
		i++
	}
}

func BenchmarkSetRandomAdd(b *testing.B) {
	lim := DefaultLimits()
	bk := newBenchKeys("element:")
	b.ReportAllocs()
	var s *Set
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		if j == 0 {
			s = NewSet() // a fresh set each 2^20 adds: about 100,000 of them are new
		}
		s.Add(bk.keys[j], lim)
		i++
	}
}

func BenchmarkHashRandomSet(b *testing.B) {
	lim := DefaultLimits()
	bk := newBenchKeys("element:")
	val := []byte("xxx")
	b.ReportAllocs()
	var h *Hash
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		if j == 0 {
			h = NewHash() // a fresh hash each 2^20 sets: about 100,000 fields are new
		}
		h.Set(bk.keys[j], val, lim)
		i++
	}
}

func BenchmarkZSetRandomAdd(b *testing.B) {
	lim := DefaultLimits()
	bk := newBenchKeys("element:")
	r := rand.New(rand.NewPCG(3, 4))
	scores := make([]float64, len(bk.keys))
	for i := range scores {
		scores[i] = float64(r.IntN(benchSpace))
	}
	b.ReportAllocs()
	var z *ZSet
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		if j == 0 {
			z = NewZSet()
		}
		z.Add(bk.keys[j], scores[j], 0, lim)
		i++
	}
}

func BenchmarkKeyspaceRandomIncr(b *testing.B) {
	e, _ := testEngine(b)
	db := e.DB(0)
	bk := newBenchKeys("counter:")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		db.IncrBy(bk.slots[j], bk.keys[j], 1)
		i++
	}
}

// BenchmarkKeyspaceRandomGetSet is INCR's old path (GetString, then SetString), for
// comparison with IncrBy.
func BenchmarkKeyspaceRandomGetSet(b *testing.B) {
	e, _ := testEngine(b)
	db := e.DB(0)
	bk := newBenchKeys("counter:")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i & (1<<20 - 1)
		cur, _, _ := db.GetString(bk.slots[j], bk.keys[j])
		v, _ := ParseInt(cur)
		var buf [24]byte
		db.SetString(bk.slots[j], bk.keys[j], strconv.AppendInt(buf[:0], v+1, 10), 0, true)
		i++
	}
}
