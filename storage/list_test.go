package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// checkList verifies the list's invariants and compares it with the model.
func checkList(t *testing.T, l *List, model [][]byte, step string) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("%s: Len %d, model %d", step, l.Len(), len(model))
	}
	total, bufs := 0, 0
	bl, cl := l.limits()
	for i, nd := range l.live() {
		bufs += cap(nd.buf)
		if nd.n == 0 {
			t.Fatalf("%s: empty node %d", step, i)
		}
		n := 0
		for p := nd.head; p < len(nd.buf); n++ {
			_, p = readFwd(nd.buf, p)
			if p > len(nd.buf) {
				t.Fatalf("%s: node %d overruns", step, i)
			}
		}
		if n != nd.n {
			t.Fatalf("%s: node %d holds %d entries, says %d", step, i, n, nd.n)
		}
		if nd.n > 1 && (nd.size() > bl || (cl > 0 && nd.n > cl)) {
			t.Fatalf("%s: node %d over the limits: %d bytes, %d entries (fill %d)", step, i, nd.size(), nd.n, l.fill)
		}
		total += n
	}
	if total != l.count {
		t.Fatalf("%s: nodes hold %d, count %d", step, total, l.count)
	}
	if bufs != l.bufs {
		t.Fatalf("%s: buffers of %d bytes, bufs says %d", step, bufs, l.bufs)
	}
	var got [][]byte
	l.Each(func(e []byte) bool { got = append(got, e); return true })
	if !equalLists(got, model) {
		t.Fatalf("%s: Each %q, model %q", step, got, model)
	}
	got = got[:0]
	l.EachRev(func(e []byte) bool { got = append(got, e); return true })
	slices.Reverse(got)
	if !equalLists(got, model) {
		t.Fatalf("%s: EachRev %q, model %q", step, got, model)
	}
}

func equalLists(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y []byte) bool { return bytes.Equal(x, y) })
}

func randElem(r *rand.Rand) []byte {
	switch r.IntN(20) {
	case 0:
		return bytes.Repeat([]byte{'B'}, 100+r.IntN(20000)) // beyond a node's limit at times
	case 1:
		return []byte{}
	case 2, 3:
		return bytes.Repeat([]byte{'m'}, 100+r.IntN(300)) // two-byte length headers
	}
	return []byte(strconv.Itoa(r.IntN(8)))
}

// The list against a slice model under random operations, for every kind of fill.
func TestListModel(t *testing.T) {
	for _, fill := range []int{-1, -2, -5, -9, 0, 1, 2, 5, 128} {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+100), 7))
			l := NewListFill(fill)
			var model [][]byte
			for step := range 4000 {
				name := ""
				switch op := r.IntN(13); op {
				case 0, 1:
					e := randElem(r)
					l.PushBack(e)
					model = append(model, slices.Clone(e))
					name = "PushBack"
				case 2, 3:
					e := randElem(r)
					l.PushFront(e)
					model = slices.Insert(model, 0, slices.Clone(e))
					name = "PushFront"
				case 4:
					e, ok := l.PopFront()
					if ok != (len(model) > 0) || ok && !bytes.Equal(e, model[0]) {
						t.Fatalf("PopFront %q %v", e, ok)
					}
					if ok {
						model = model[1:]
					}
					name = "PopFront"
				case 5:
					e, ok := l.PopBack()
					if ok != (len(model) > 0) || ok && !bytes.Equal(e, model[len(model)-1]) {
						t.Fatalf("PopBack %q %v", e, ok)
					}
					if ok {
						model = model[:len(model)-1]
					}
					name = "PopBack"
				case 6:
					if len(model) == 0 {
						continue
					}
					i := r.IntN(len(model))
					e := randElem(r)
					if !l.Set(i, e) {
						t.Fatal("Set failed")
					}
					model[i] = slices.Clone(e)
					name = "Set"
				case 7:
					pivot, e, after := randElem(r), randElem(r), r.IntN(2) == 0
					at := slices.IndexFunc(model, func(x []byte) bool { return bytes.Equal(x, pivot) })
					if l.Insert(pivot, e, after) != (at >= 0) {
						t.Fatalf("Insert found=%v", at >= 0)
					}
					if at >= 0 {
						if after {
							at++
						}
						model = slices.Insert(model, at, slices.Clone(e))
					}
					name = "Insert"
				case 8:
					count, e := r.IntN(7)-3, randElem(r)
					want := 0
					if count >= 0 {
						var kept [][]byte
						for _, x := range model {
							if bytes.Equal(x, e) && (count == 0 || want < count) {
								want++
								continue
							}
							kept = append(kept, x)
						}
						model = kept
					} else {
						var kept [][]byte
						for i := len(model) - 1; i >= 0; i-- {
							if bytes.Equal(model[i], e) && want < -count {
								want++
								continue
							}
							kept = append(kept, model[i])
						}
						slices.Reverse(kept)
						model = kept
					}
					if got := l.Remove(count, e); got != want {
						t.Fatalf("Remove(%d) = %d, want %d", count, got, want)
					}
					name = fmt.Sprintf("Remove(%d)", count)
				case 9:
					if r.IntN(4) != 0 {
						continue // keep lists long
					}
					n := len(model)
					start, stop := r.IntN(n+2)-1, r.IntN(n+2)-1
					l.Trim(start, stop)
					start, stop = max(start, 0), min(stop, n-1)
					if start > stop {
						model = nil
					} else {
						model = model[start : stop+1]
					}
					name = "Trim"
				case 10:
					if len(model) == 0 {
						continue
					}
					i := r.IntN(len(model))
					if e, ok := l.Index(i); !ok || !bytes.Equal(e, model[i]) {
						t.Fatalf("Index(%d) = %q, want %q", i, e, model[i])
					}
					continue
				case 11:
					if len(model) == 0 {
						continue
					}
					a, b := r.IntN(len(model)), r.IntN(len(model))
					if a > b {
						a, b = b, a
					}
					var got [][]byte
					l.Range(a, b, func(e []byte) bool { got = append(got, e); return true })
					if !equalLists(got, model[a:b+1]) {
						t.Fatalf("Range(%d,%d) = %q, want %q", a, b, got, model[a:b+1])
					}
					continue
				case 12:
					// LMOVE on one key: the popped slice goes straight back in.
					if len(model) == 0 {
						continue
					}
					if r.IntN(2) == 0 {
						e, _ := l.PopBack()
						l.PushFront(e)
						model = slices.Insert(model[:len(model)-1], 0, model[len(model)-1])
					} else {
						e, _ := l.PopFront()
						l.PushBack(e)
						model = append(model[1:], model[0])
					}
					name = "Rotate"
				}
				checkList(t, l, model, fmt.Sprintf("step %d %s", step, name))
			}
			c := l.Clone().(*List)
			checkList(t, c, model, "clone")
		})
	}
}

func TestListEntryEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 21, 1<<21 + 5} {
		e := bytes.Repeat([]byte{'x'}, n)
		buf := make([]byte, entrySize(n)+3)
		if k := putEntry(buf[1:], e); k != entrySize(n) {
			t.Fatalf("size %d: wrote %d, entrySize %d", n, k, entrySize(n))
		}
		got, next := readFwd(buf, 1)
		if len(got) != n || next != 1+entrySize(n) {
			t.Fatalf("size %d: readFwd %d %d", n, len(got), next)
		}
		got, start := readBack(buf, 1+entrySize(n))
		if len(got) != n || start != 1 {
			t.Fatalf("size %d: readBack %d %d", n, len(got), start)
		}
	}
}

func TestListPositional(t *testing.T) {
	l := NewListFill(3)
	for i := range 10 {
		l.PushBack([]byte(strconv.Itoa(i)))
	}
	if got := len(l.live()); got != 4 {
		t.Fatalf("fill 3 gave %d nodes for 10 elements", got)
	}
	if e, ok := l.Index(7); !ok || string(e) != "7" {
		t.Fatalf("Index(7) = %q", e)
	}
	if _, ok := l.Index(10); ok {
		t.Fatal("Index past the end")
	}
	if l.Set(10, []byte("x")) || l.Set(-1, []byte("x")) {
		t.Fatal("Set out of range")
	}
	var got []string
	l.Range(2, 5, func(e []byte) bool { got = append(got, string(e)); return len(got) < 3 })
	if !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Fatalf("Range stopped early: %q", got)
	}
	l.Trim(5, 2)
	if l.Len() != 0 || len(l.live()) != 0 {
		t.Fatal("inverted Trim must empty the list")
	}
	if _, ok := l.PopFront(); ok {
		t.Fatal("pop from empty list")
	}
	if l.Encoding() != "quicklist" || l.Type() != TypeList {
		t.Fatal("type/encoding")
	}
}

// A long queue (push at the tail, pop at the head) must not keep the drained nodes'
// slots: memory stays bounded.
func TestListQueueMemoryBounded(t *testing.T) {
	l := NewList()
	e := bytes.Repeat([]byte{'q'}, 100)
	for range 1000 {
		l.PushBack(e)
	}
	base := l.Mem()
	for range 200000 {
		l.PushBack(e)
		l.PopFront()
	}
	if m := l.Mem(); m > 2*base {
		t.Fatalf("queue memory grew from %d to %d", base, m)
	}
}

// Small elements cost a few bytes each: 100k three-byte elements fit in well under 1 MiB.
func TestListCompact(t *testing.T) {
	l := NewList()
	for i := range 100000 {
		l.PushBack([]byte(strconv.Itoa(i % 1000)))
	}
	if m := l.Mem(); m > 1<<20 {
		t.Fatalf("100k small elements take %d bytes", m)
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	e := []byte("element-0001")
	for range 1000 {
		l.PushBack(e)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i&1 == 0 {
			l.PushFront(e)
			l.PopBack()
		} else {
			l.PushBack(e)
			l.PopFront()
		}
	}
}

func BenchmarkListIndex(b *testing.B) {
	l := NewList()
	for i := range 100000 {
		l.PushBack([]byte(strconv.Itoa(i)))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Index((i * 7919) % 100000)
	}
}

func BenchmarkListRange100(b *testing.B) {
	l := NewList()
	for i := range 100000 {
		l.PushBack([]byte(strconv.Itoa(i)))
	}
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i++ {
		l.Range(50000, 50099, func(e []byte) bool { n += len(e); return true })
	}
}
