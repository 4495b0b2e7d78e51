package storage

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func zlimits(entries, value int64) *Limits {
	l := DefaultLimits()
	l.ZsetMaxListpackEntries.Store(entries)
	l.ZsetMaxListpackValue.Store(value)
	return l
}

// zref is the reference model: entries kept sorted.
type zref []ZEntry

func (r zref) find(m string) int {
	for i, e := range r {
		if e.Member == m {
			return i
		}
	}
	return -1
}

func (r *zref) set(m string, s float64) {
	if i := r.find(m); i >= 0 {
		*r = slices.Delete(*r, i, i+1)
	}
	*r = append(*r, ZEntry{m, s})
	slices.SortFunc(*r, CompareZEntries)
}

func zcontents(z *ZSet) zref {
	var out zref
	z.Range(0, z.Len()-1, false, func(m []byte, s float64) bool {
		out = append(out, ZEntry{string(m), s})
		return true
	})
	return out
}

// checkZSet compares z with the model and checks the tree's internal invariants.
func checkZSet(t *testing.T, z *ZSet, ref zref) {
	t.Helper()
	got := zcontents(z)
	if z.Len() != len(ref) || !slices.Equal(got, ref) {
		t.Fatalf("contents\n got %v\nwant %v", got, ref)
	}
	var rev zref
	z.Range(0, z.Len()-1, true, func(m []byte, s float64) bool {
		rev = append(rev, ZEntry{string(m), s})
		return true
	})
	slices.Reverse(rev)
	if !slices.Equal(rev, ref) {
		t.Fatalf("reverse contents %v want %v", rev, ref)
	}
	if z.tr != nil {
		if err := z.tr.check(); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range ref {
		r, s, ok := z.Rank([]byte(e.Member))
		if !ok || r != i || s != e.Score {
			t.Fatalf("Rank(%q) = %d %v %v, want %d %v", e.Member, r, s, ok, i, e.Score)
		}
	}
}

func TestZSetModel(t *testing.T) {
	for _, lim := range []*Limits{zlimits(1<<20, 1<<20), zlimits(0, 0), zlimits(16, 8)} {
		name := fmt.Sprintf("entries=%d", lim.ZsetMaxListpackEntries.Load())
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			z := NewZSet()
			var ref zref
			member := func() string {
				n := rng.IntN(60)
				if rng.IntN(10) == 0 {
					return "long-" + strconv.Itoa(n) + "-xxxxxxxxxxxx"
				}
				return "m" + strconv.Itoa(n)
			}
			score := func() float64 {
				switch rng.IntN(6) {
				case 0:
					return float64(rng.IntN(5))
				case 1:
					return math.Inf(1 - 2*rng.IntN(2))
				case 2:
					return -float64(rng.IntN(1 << 40))
				default:
					return rng.NormFloat64() * 10
				}
			}
			for step := 0; step < 3000; step++ {
				m, s := member(), score()
				switch op := rng.IntN(10); {
				case op < 5:
					flags := []ZAddFlags{0, ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddIncr, ZAddXX | ZAddGT}[rng.IntN(7)]
					res, got := z.Add([]byte(m), s, flags, lim)
					i := ref.find(m)
					switch {
					case i < 0 && flags&ZAddXX != 0:
						if res != ZAddNop {
							t.Fatalf("XX added %q", m)
						}
					case i < 0:
						if res != ZAddAdded || got != s {
							t.Fatalf("add %q: %v %v", m, res, got)
						}
						ref.set(m, s)
					default:
						cur, want := ref[i].Score, s
						if flags&ZAddIncr != 0 {
							want += cur
						}
						switch {
						case flags&ZAddNX != 0, flags&ZAddGT != 0 && want <= cur, flags&ZAddLT != 0 && want >= cur:
							if res != ZAddNop {
								t.Fatalf("%v on %q: %v", flags, m, res)
							}
						case math.IsNaN(want):
							if res != ZAddNaN {
								t.Fatalf("NaN not reported")
							}
						case want == cur:
							if res != ZAddUnchanged {
								t.Fatalf("unchanged %q: %v", m, res)
							}
						default:
							if res != ZAddUpdated || got != want {
								t.Fatalf("update %q: %v %v want %v", m, res, got, want)
							}
							ref.set(m, want)
						}
					}
				case op < 7:
					i := ref.find(m)
					if z.Remove([]byte(m)) != (i >= 0) {
						t.Fatalf("Remove(%q)", m)
					}
					if i >= 0 {
						ref = slices.Delete(ref, i, i+1)
					}
				case op < 8 && len(ref) > 0:
					lo := rng.IntN(len(ref))
					hi := lo + rng.IntN(3)
					n := z.DeleteRange(lo, hi)
					hi = min(hi, len(ref))
					if n != hi-lo {
						t.Fatalf("DeleteRange(%d,%d) = %d", lo, hi, n)
					}
					ref = slices.Delete(ref, lo, hi)
				default:
					r := ScoreRange{Min: score(), Max: score(), MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
					lo, hi := z.ScoreSpan(&r)
					var want []int
					for i, e := range ref {
						if !r.belowMin(nil, e.Score) && r.notAboveMax(nil, e.Score) {
							want = append(want, i)
						}
					}
					if hi-lo != len(want) || (len(want) > 0 && want[0] != lo) {
						t.Fatalf("ScoreSpan(%+v) = [%d,%d) want %v", r, lo, hi, want)
					}
				}
				if step%50 == 0 || z.Len() < 5 {
					checkZSet(t, z, ref)
				}
			}
			checkZSet(t, z, ref)
		})
	}
}

func TestZSetLexSpan(t *testing.T) {
	for _, lim := range []*Limits{DefaultLimits(), zlimits(0, 0)} {
		z := NewZSet()
		for _, m := range []string{"a", "b", "c", "d", "e", "ee", "f"} {
			z.Add([]byte(m), 0, 0, lim)
		}
		b := func(s string) LexBound {
			switch s {
			case "-":
				return LexBound{Inf: -1}
			case "+":
				return LexBound{Inf: 1}
			}
			return LexBound{Value: []byte(s[1:]), Ex: s[0] == '('}
		}
		for _, c := range []struct {
			min, max string
			lo, n    int
		}{
			{"-", "+", 0, 7}, {"[b", "[d", 1, 3}, {"(b", "(d", 2, 1}, {"[e", "(f", 4, 2},
			{"(e", "+", 5, 2}, {"+", "-", 7, 0}, {"-", "-", 0, 0}, {"+", "+", 7, 0},
			{"[d", "[b", 3, 0}, {"[z", "+", 7, 0}, {"-", "[", 0, 0}, {"[", "[a", 0, 1},
		} {
			r := LexRange{Min: b(c.min), Max: b(c.max)}
			lo, hi := z.LexSpan(&r)
			if hi-lo != c.n || (c.n > 0 && lo != c.lo) {
				t.Errorf("%s: LexSpan(%s, %s) = [%d,%d), want %d from %d", z.Encoding(), c.min, c.max, lo, hi, c.n, c.lo)
			}
		}
	}
}

func TestZSetConversion(t *testing.T) {
	lim := DefaultLimits()
	z := NewZSet()
	for i := range 128 {
		z.Add([]byte("m"+strconv.Itoa(i)), float64(i), 0, lim)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("128 entries: %s", z.Encoding())
	}
	z.Add([]byte("m0"), 5, 0, lim) // an update does not convert
	if z.Encoding() != "listpack" {
		t.Fatal("update converted")
	}
	z.Add([]byte("x"), 1, 0, lim)
	if z.Encoding() != "skiplist" || z.Len() != 129 {
		t.Fatalf("129 entries: %s %d", z.Encoding(), z.Len())
	}
	z.DeleteRange(0, 120)
	if z.Encoding() != "skiplist" {
		t.Fatal("converted back")
	}

	z = NewZSet()
	z.Add(bytes.Repeat([]byte("a"), 64), 1, 0, lim)
	if z.Encoding() != "listpack" {
		t.Fatal("64-byte member converted")
	}
	z.Add(bytes.Repeat([]byte("a"), 65), 1, 0, lim)
	if z.Encoding() != "skiplist" {
		t.Fatal("65-byte member did not convert")
	}
	checkZSet(t, z, zref{{string(bytes.Repeat([]byte("a"), 64)), 1}, {string(bytes.Repeat([]byte("a"), 65)), 1}})

	z = NewZSet()
	z.Add([]byte("a"), 1, 0, zlimits(0, 64))
	if z.Encoding() != "skiplist" {
		t.Fatal("zset-max-listpack-entries 0 must give skiplist")
	}
}

func TestZSetListpackScores(t *testing.T) {
	lim := DefaultLimits()
	z := NewZSet()
	scores := []float64{math.Copysign(0, -1), 1 << 62, -(1 << 62), 1<<62 + 1024, 0.5, math.Inf(1), math.Inf(-1), -7, 1e300, 5e-324}
	for i, s := range scores {
		z.Add([]byte{byte('a' + i)}, s, 0, lim)
	}
	ints := map[string]bool{}
	z.Scan(0, func(m []byte, s float64, isInt bool) { ints[string(m)] = isInt })
	want := map[string]bool{"a": true, "b": true, "c": true, "d": false, "e": false, "f": false, "g": false, "h": true, "i": false, "j": false}
	for m, w := range want {
		if ints[m] != w {
			t.Errorf("%s (%v): packed int %v, want %v", m, scores[m[0]-'a'], ints[m], w)
		}
	}
	for i, s := range scores {
		got, _ := z.Score([]byte{byte('a' + i)})
		if got != s {
			t.Errorf("score %v came back as %v", s, got)
		}
	}
	// -0 is stored as the integer 0 in a listpack (as Redis), kept as -0 in a skiplist.
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Error("listpack kept -0")
	}
	sk := NewZSet()
	sk.Add([]byte("a"), math.Copysign(0, -1), 0, zlimits(0, 0))
	if s, _ := sk.Score([]byte("a")); !math.Signbit(s) {
		t.Error("skiplist lost -0")
	}
}

func TestZSetScanSkiplist(t *testing.T) {
	lim := zlimits(0, 0)
	z := NewZSet()
	for i := range 1000 {
		z.Add([]byte(strconv.Itoa(i)), float64(i), 0, lim)
	}
	seen := map[string]int{}
	var cursor uint64
	for {
		cursor = z.Scan(cursor, func(m []byte, s float64, isInt bool) {
			if isInt || strconv.Itoa(int(s)) != string(m) {
				t.Fatalf("bad pair %s %v %v", m, s, isInt)
			}
			seen[string(m)]++
		})
		if cursor == 0 {
			break
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("scan saw %d members", len(seen))
	}
}

func TestZSetRandomMembers(t *testing.T) {
	rnd := rand.IntN
	for _, lim := range []*Limits{DefaultLimits(), zlimits(0, 0)} {
		z := NewZSet()
		for i := range 100 {
			z.Add([]byte(strconv.Itoa(i)), float64(i), 0, lim)
		}
		for _, count := range []int{1, 10, 40, 99, 100, 1000} {
			seen := map[string]bool{}
			n := 0
			z.RandomMembers(count, true, rnd, func(m []byte, s float64) bool {
				if seen[string(m)] || strconv.Itoa(int(s)) != string(m) {
					t.Fatalf("%s count %d: repeated or bad %s %v", z.Encoding(), count, m, s)
				}
				seen[string(m)] = true
				n++
				return true
			})
			if n != min(count, 100) {
				t.Fatalf("%s unique count %d gave %d", z.Encoding(), count, n)
			}
		}
		n := 0
		z.RandomMembers(1000, false, rnd, func([]byte, float64) bool { n++; return n < 500 })
		if n != 500 {
			t.Fatalf("fn did not stop the repeated draw: %d", n)
		}
		var all []string
		z.RandomMembers(100, true, rnd, func(m []byte, _ float64) bool { all = append(all, string(m)); return true })
		if all[0] != "99" || all[99] != "0" {
			t.Fatalf("whole set not in descending order: %v...", all[:3])
		}
	}
}

func TestNewZSetFrom(t *testing.T) {
	lim := DefaultLimits()
	es := []ZEntry{{"b", 2}, {"a", 2}, {"c", -1}}
	z := NewZSetFrom(es, lim)
	if z.Encoding() != "listpack" {
		t.Fatal(z.Encoding())
	}
	checkZSet(t, z, zref{{"c", -1}, {"a", 2}, {"b", 2}})
	var many []ZEntry
	for i := range 129 {
		many = append(many, ZEntry{strconv.Itoa(i), float64(i % 7)})
	}
	z = NewZSetFrom(many, lim)
	if z.Encoding() != "skiplist" {
		t.Fatal(z.Encoding())
	}
	checkZSet(t, z, zref(many))
	z = NewZSetFrom([]ZEntry{{string(bytes.Repeat([]byte("x"), 65)), 1}}, lim)
	if z.Encoding() != "skiplist" {
		t.Fatal("long member kept listpack")
	}
}

func TestZSetClone(t *testing.T) {
	for _, lim := range []*Limits{DefaultLimits(), zlimits(0, 0)} {
		z := NewZSet()
		z.Add([]byte("a"), 1, 0, lim)
		z.Add([]byte("b"), 2, 0, lim)
		c := z.Clone().(*ZSet)
		z.Add([]byte("a"), 5, 0, lim)
		z.Remove([]byte("b"))
		checkZSet(t, c, zref{{"a", 1}, {"b", 2}})
		if c.Encoding() != z.Encoding() {
			t.Fatal("clone changed encoding")
		}
		if c.Mem() <= 0 {
			t.Fatal("Mem")
		}
	}
}

func TestZSetIterable(t *testing.T) {
	var it Iterable = NewZSet()
	z := it.(*ZSet)
	z.Add([]byte("b"), 1, 0, DefaultLimits())
	z.Add([]byte("a"), 2, 0, DefaultLimits())
	var got []string
	it.Each(func(m []byte) bool { got = append(got, string(m)); return true })
	if it.Len() != 2 || !slices.Equal(got, []string{"b", "a"}) || it.Type() != TypeZSet {
		t.Fatalf("Each gave %v", got)
	}
}

func benchZSet(n int, lim *Limits) *ZSet {
	z := NewZSet()
	for i := range n {
		z.Add([]byte("member:"+strconv.Itoa(i)), float64(i*7%n), 0, lim)
	}
	return z
}

func BenchmarkZSetAddSkiplist(b *testing.B) {
	lim := DefaultLimits()
	z := benchZSet(100000, lim)
	members := make([][]byte, 1024)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i*97))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Add(members[i&1023], float64(i), 0, lim) // score updates, moving the node
	}
}

// BenchmarkZSetAddRandom is redis-benchmark's ZADD -r 100000: a random one of 100,000
// members gets a random score, so most adds move a node somewhere else in a skiplist
// far bigger than the CPU's caches.
func BenchmarkZSetAddRandom(b *testing.B) {
	lim := DefaultLimits()
	const n = 100000
	z := benchZSet(n, lim)
	members := make([][]byte, n)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		z.Add(members[rng.IntN(n)], float64(rng.IntN(n)), 0, lim)
	}
}

func BenchmarkZSetAddListpack(b *testing.B) {
	lim := DefaultLimits()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		z := NewZSet()
		for j := range 100 {
			z.Add([]byte{byte(j)}, float64(j*31%100), 0, lim)
		}
	}
}

func BenchmarkZSetRangeByScore(b *testing.B) {
	z := benchZSet(100000, DefaultLimits())
	r := ScoreRange{Min: 500, Max: 600}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lo, hi := z.ScoreSpan(&r)
		n := 0
		z.Range(lo+10, hi-1, false, func([]byte, float64) bool { n++; return true })
	}
}

// check verifies the tree's invariants: counts, bounds, one depth for every leaf, the
// leaf chain, the node tallies, the dict.
func (t *zbtree) check() error {
	var leaves []*zbLeaf
	inners := 0
	// walk returns the elements under n, checking them against [lo, hi) bounds.
	var walk func(n *zbNode, depth int) (int, error)
	walk = func(n *zbNode, depth int) (int, error) {
		if n.n == 0 && n != t.root {
			return 0, fmt.Errorf("empty node at depth %d", depth)
		}
		if depth == t.height {
			for i := 1; i < n.n; i++ {
				if !zbLess(n.scores[i-1], n.members[i-1], n.scores[i], n.members[i]) {
					return 0, fmt.Errorf("leaf out of order at %q", n.members[i])
				}
			}
			leaves = append(leaves, n.leaf())
			return n.n, nil
		}
		in := n.inner()
		inners++
		sum := 0
		for i := range in.n {
			before := len(leaves)
			c, err := walk(in.kids[i], depth+1)
			if err != nil {
				return 0, err
			}
			if c != in.counts[i] {
				return 0, fmt.Errorf("count %d of child %d at depth %d, holds %d", in.counts[i], i, depth, c)
			}
			sum += c
			for _, l := range leaves[before:] {
				for j := range l.n {
					s, m := l.scores[j], l.members[j]
					if i > 0 && zbLess(s, m, in.scores[i], in.members[i]) {
						return 0, fmt.Errorf("%q below the bound of child %d at depth %d", m, i, depth)
					}
					if i+1 < in.n && !zbLess(s, m, in.scores[i+1], in.members[i+1]) {
						return 0, fmt.Errorf("%q not below the bound of child %d at depth %d", m, i+1, depth)
					}
				}
			}
		}
		return sum, nil
	}
	total, err := walk(t.root, 0)
	if err != nil {
		return err
	}
	if total != t.length || t.dict.Len() != t.length {
		return fmt.Errorf("length %d, tree holds %d, dict %d", t.length, total, t.dict.Len())
	}
	if len(leaves) != t.leaves || inners != t.inners {
		return fmt.Errorf("tallies %d leaves %d inner, tree has %d and %d", t.leaves, t.inners, len(leaves), inners)
	}
	if t.first != leaves[0] || t.last != leaves[len(leaves)-1] {
		return fmt.Errorf("bad first or last leaf")
	}
	var bytes int64
	for i, l := range leaves {
		if (i > 0 && l.prev != leaves[i-1]) || (i == 0 && l.prev != nil) ||
			(i+1 < len(leaves) && l.next != leaves[i+1]) || (i+1 == len(leaves) && l.next != nil) {
			return fmt.Errorf("bad links at leaf %d", i)
		}
		for j := range l.n {
			if s, ok := t.dict.Get([]byte(l.members[j])); !ok || (s != l.scores[j] && !(s == 0 && l.scores[j] == 0)) {
				return fmt.Errorf("dict score %v %v, tree %v", s, ok, l.scores[j])
			}
			bytes += int64(len(l.members[j]))
		}
	}
	if bytes != t.bytes {
		return fmt.Errorf("bytes %d, members hold %d", t.bytes, bytes)
	}
	return nil
}

// TestZbtreeModel drives the large encoding's tree through growth to several levels,
// mixed churn and shrinking to nothing (single and ranged deletions, score moves in
// place and across leaves), checking its invariants and every query against a sorted
// model along the way.
func TestZbtreeModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tr := newZbtree(0)
	ref := map[string]float64{}
	sorted := func() zref {
		out := make(zref, 0, len(ref))
		for m, s := range ref {
			out = append(out, ZEntry{m, s})
		}
		slices.SortFunc(out, CompareZEntries)
		return out
	}
	score := func() float64 {
		if rng.IntN(2) == 0 {
			return float64(rng.IntN(50)) // ties: the members order them
		}
		return rng.Float64() * 1e6
	}
	verify := func() {
		t.Helper()
		if err := tr.check(); err != nil {
			t.Fatal(err)
		}
		want := sorted()
		var got zref
		tr.each(func(m string, s float64) { got = append(got, ZEntry{m, s}) })
		if !slices.Equal(got, want) {
			t.Fatalf("contents differ: %d elements, want %d", len(got), len(want))
		}
		if len(want) == 0 {
			return
		}
		for range 100 {
			i := rng.IntN(len(want))
			if r := tr.rank(want[i].Score, want[i].Member); r != i {
				t.Fatalf("rank of %v: %d, want %d", want[i], r, i)
			}
			lo := rng.IntN(len(want))
			hi := min(len(want)-1, lo+rng.IntN(80))
			rev := rng.IntN(2) == 0
			var part zref
			tr.walk(lo, hi, rev, func(m []byte, s float64) bool { part = append(part, ZEntry{string(m), s}); return true })
			if rev {
				slices.Reverse(part)
			}
			if !slices.Equal(part, want[lo:hi+1]) {
				t.Fatalf("walk %d..%d rev=%v differs", lo, hi, rev)
			}
			r := ScoreRange{Min: score(), Max: score(), MinEx: rng.IntN(2) == 0}
			wantBelow := 0
			for _, e := range want {
				if r.belowMin(nil, e.Score) {
					wantBelow++
				}
			}
			if got := tr.countWhile(r.belowMin); got != wantBelow {
				t.Fatalf("countWhile below %v: %d, want %d", r.Min, got, wantBelow)
			}
		}
	}
	add := func(m string, s float64) {
		if cur, ok := ref[m]; ok {
			if cur != s {
				tr.updateScore([]byte(m), tr.dict.Ptr([]byte(m)), cur, s)
				ref[m] = s
			}
			return
		}
		tr.add(m, s)
		ref[m] = s
	}
	step := 0
	tick := func() {
		if step++; step%997 == 0 {
			verify()
		}
	}
	// Growth to 40,000 (four levels), with score moves: small ones (in place) and big.
	for len(ref) < 40000 {
		m := "m" + strconv.Itoa(rng.IntN(60000))
		if cur, ok := ref[m]; ok && rng.IntN(2) == 0 {
			add(m, cur+rng.Float64()*1e-3)
		} else {
			add(m, score())
		}
		tick()
	}
	if tr.height < 3 {
		t.Fatalf("height %d at 40,000 elements", tr.height)
	}
	// Sweeps: runs of neighbours deleted in ascending and in descending order, so that
	// small nodes next to full ones borrow from them (leaves and inner nodes).
	for _, desc := range []bool{false, true} {
		want := sorted()
		lo := rng.IntN(len(want) / 4)
		run := want[lo : lo+12000]
		if desc {
			slices.Reverse(run)
		}
		for _, e := range run {
			tr.remove([]byte(e.Member), e.Score)
			delete(ref, e.Member)
			tick()
		}
		verify()
		for range 12000 { // and back: the freed space fills again
			add("n"+strconv.Itoa(rng.IntN(1<<30)), score())
			tick()
		}
	}
	// Churn and shrinking: removals, ranged deletions of every size.
	for len(ref) > 0 {
		switch op := rng.IntN(100); {
		case op < 30:
			add("m"+strconv.Itoa(rng.IntN(60000)), score())
		case op < 98:
			for m, s := range ref {
				tr.remove([]byte(m), s)
				delete(ref, m)
				break
			}
		default:
			want := sorted()
			lo := rng.IntN(len(want))
			hi := min(len(want), lo+1+rng.IntN([]int{3, 100, 5000, 40000}[rng.IntN(4)]))
			tr.deleteRange(lo, hi)
			for _, e := range want[lo:hi] {
				delete(ref, e.Member)
			}
		}
		tick()
	}
	verify()
	if tr.height != 0 || tr.leaves != 1 || tr.inners != 0 {
		t.Fatalf("empty tree: height %d, %d leaves, %d inner nodes", tr.height, tr.leaves, tr.inners)
	}
}

// TestZbtreeLoads: ascending and descending insertions leave full leaves, and bulk
// builds of every small size are valid trees.
func TestZbtreeLoads(t *testing.T) {
	const n = 20000
	for _, desc := range []bool{false, true} {
		tr := newZbtree(n)
		for i := range n {
			s := float64(i)
			if desc {
				s = -s
			}
			tr.add("k"+strconv.Itoa(i), s)
		}
		if err := tr.check(); err != nil {
			t.Fatal(err)
		}
		if tr.leaves > n/(zbMax-1)+2 {
			t.Errorf("desc=%v: %d leaves for %d elements", desc, tr.leaves, n)
		}
	}
	for size := range 2000 {
		b := newZbBuilder(size)
		for i := range size {
			b.add(float64(i), "k"+strconv.Itoa(i))
		}
		if err := b.tree().check(); err != nil {
			t.Fatalf("built of %d: %v", size, err)
		}
	}
}
