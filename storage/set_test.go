package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func setMembers(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

func TestIntsetWidthsAndOrder(t *testing.T) {
	var is intset
	vals := []int64{5, -3, 0, 300, math.MaxInt16, math.MinInt16}
	for _, v := range vals {
		if !is.add(v) {
			t.Fatal("not new", v)
		}
	}
	if is.add(5) || is.width != 2 {
		t.Fatal("dup or width", is.width)
	}
	is.add(math.MaxInt16 + 1)
	if is.width != 4 {
		t.Fatal("no upgrade to 32 bits")
	}
	is.add(math.MinInt64)
	is.add(math.MaxInt64)
	if is.width != 8 || len(is.b) != is.len()*8 {
		t.Fatal("no upgrade to 64 bits")
	}
	var got []int64
	for i := range is.len() {
		got = append(got, is.at(i))
	}
	want := append(vals, math.MaxInt16+1, math.MinInt64, math.MaxInt64)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for _, v := range want {
		if !is.has(v) {
			t.Fatal("missing", v)
		}
	}
	if is.has(1) || is.has(math.MaxInt64-1) {
		t.Fatal("phantom")
	}
	if !is.remove(300) || is.remove(300) || is.has(300) {
		t.Fatal("remove")
	}
	// A narrow set answers lookups of values wider than itself.
	var small intset
	small.add(1)
	if small.has(1<<40) || small.has(-1<<40) || small.remove(1<<40) {
		t.Fatal("wide lookup")
	}
}

func TestSetEncodings(t *testing.T) {
	l := testLimits(128, 64, 3)
	s := NewSet()
	for _, m := range []string{"3", "-1", "2"} {
		s.Add([]byte(m), l)
	}
	if s.Encoding() != "intset" || !slices.Equal(setMembers(s), []string{"-1", "2", "3"}) {
		t.Fatal(s.Encoding(), setMembers(s))
	}
	if s.Add([]byte("2"), l) || s.Encoding() != "intset" {
		t.Fatal("dup add at the limit")
	}
	// Non-canonical integers are not members of an intset, and adding one converts.
	for _, m := range []string{"02", "+2", " 2", "2 ", "-0", "9223372036854775808"} {
		if s.Has([]byte(m)) {
			t.Fatalf("%q is a member", m)
		}
	}
	s.Add([]byte("4"), l)
	if s.Encoding() != "hashtable" || s.Len() != 4 {
		t.Fatal("not converted on size", s.Encoding())
	}
	for _, m := range []string{"-1", "2", "3", "4"} {
		if !s.Has([]byte(m)) {
			t.Fatal("lost", m)
		}
	}
	s2 := NewSet()
	s2.Add([]byte("1"), l)
	s2.Add([]byte("02"), l)
	if s2.Encoding() != "hashtable" || !s2.Has([]byte("02")) || !s2.Has([]byte("1")) || s2.Has([]byte("2")) {
		t.Fatal("not converted on a non-canonical integer")
	}
	for s2.Len() > 0 {
		s2.Pop(rand.IntN)
	}
	s2.Add([]byte("1"), l)
	if s2.Encoding() != "hashtable" {
		t.Fatal("converted back")
	}
	s3 := NewSet()
	s3.Add([]byte("1"), testLimits(128, 64, 0))
	if s3.Encoding() != "hashtable" {
		t.Fatal("set-max-intset-entries 0 kept an intset")
	}
}

func TestSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		l := testLimits(128, 64, int64(rng.IntN(50)))
		s := NewSet()
		model := map[string]bool{}
		for range 300 {
			var m string
			if rng.IntN(10) == 0 {
				m = fmt.Sprint("m", rng.IntN(20))
			} else {
				m = strconv.Itoa(rng.IntN(200) - 100)
			}
			switch rng.IntN(4) {
			case 0, 1:
				if s.Add([]byte(m), l) == model[m] {
					t.Fatalf("round %d: Add(%s)", round, m)
				}
				model[m] = true
			case 2:
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("round %d: Remove(%s)", round, m)
				}
				delete(model, m)
			case 3:
				if p := s.Pop(rng.IntN); p != nil {
					if !model[string(p)] {
						t.Fatalf("round %d: popped %s", round, p)
					}
					delete(model, string(p))
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("round %d: len %d want %d", round, s.Len(), len(model))
			}
		}
		for m := range model {
			if !s.Has([]byte(m)) {
				t.Fatalf("round %d: lost %s", round, m)
			}
		}
		c := s.Clone().(*Set)
		c.Add([]byte("fresh"), l)
		if s.Has([]byte("fresh")) {
			t.Fatal("clone shares storage")
		}
	}
}

func TestSetScanSample(t *testing.T) {
	for _, max := range []int64{512, 10} {
		l := testLimits(128, 64, max)
		s := NewSet()
		for i := range 100 {
			s.Add([]byte(strconv.Itoa(i*7)), l)
		}
		seen := map[string]bool{}
		for cursor := uint64(0); ; {
			cursor = s.Scan(cursor, func(m []byte) { seen[string(m)] = true })
			if cursor == 0 {
				break
			}
		}
		if len(seen) != 100 {
			t.Fatalf("%s: scan saw %d", s.Encoding(), len(seen))
		}
		for _, count := range []int{1, 5, 40, 99} {
			got := map[string]bool{}
			s.Sample(count, rand.IntN, func(m []byte) bool {
				if got[string(m)] || !s.Has(m) {
					t.Fatalf("%s: bad sample %s", s.Encoding(), m)
				}
				got[string(m)] = true
				return true
			})
			if len(got) != count {
				t.Fatal("sample size")
			}
		}
		n := 0
		s.RandomMembers(50, rand.IntN, func(m []byte) bool {
			if !s.Has(m) {
				t.Fatal("random non-member")
			}
			n++
			return true
		})
		if n != 50 || !s.Has(s.Random(rand.IntN)) {
			t.Fatal("random")
		}
	}
	if NewSet().Random(rand.IntN) != nil || NewSet().Pop(rand.IntN) != nil {
		t.Fatal("random of empty")
	}
}

func TestSetIntsetIsCompact(t *testing.T) {
	const members = 100
	build := func(l *Limits) func() Value {
		return func() Value {
			s := NewSet()
			for i := range members {
				s.Add([]byte(strconv.Itoa(i)), l)
			}
			return s
		}
	}
	packed := heapPer(1000, members, build(testLimits(128, 64, 512)))
	table := heapPer(1000, members, build(testLimits(128, 64, 0)))
	t.Logf("bytes per member: intset %.1f, hashtable %.1f", packed, table)
	if packed*8 > table {
		t.Fatalf("intset %.1f bytes/member is not compact next to hashtable %.1f", packed, table)
	}
}

func BenchmarkSetIntsetAddHas(b *testing.B) {
	l := DefaultLimits()
	ms := make([][]byte, 500)
	for i := range ms {
		ms[i] = []byte(strconv.Itoa(i * 37 % 1000))
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewSet()
		for _, m := range ms {
			s.Add(m, l)
		}
		for _, m := range ms {
			s.Has(m)
		}
	}
}
