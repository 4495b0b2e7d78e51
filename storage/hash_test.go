package storage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func testLimits(entries, value, intset int64) *Limits {
	l := DefaultLimits()
	l.HashMaxListpackEntries.Store(entries)
	l.HashMaxListpackValue.Store(value)
	l.SetMaxIntsetEntries.Store(intset)
	return l
}

func hashPairs(h *Hash) []string {
	var out []string
	h.Each(func(f, v []byte) bool {
		out = append(out, string(f)+"="+string(v))
		return true
	})
	return out
}

func TestHashListpackOrderAndUpdates(t *testing.T) {
	l := testLimits(128, 64, 512)
	h := NewHash()
	for _, kv := range [][2]string{{"a", "1"}, {"b", "22"}, {"c", ""}, {"", "empty-field"}} {
		if !h.Set([]byte(kv[0]), []byte(kv[1]), l) {
			t.Fatalf("%q not new", kv[0])
		}
	}
	// Overwrites keep the field's place, whatever the new length.
	if h.Set([]byte("b"), []byte(strings.Repeat("x", 60)), l) || h.Set([]byte("a"), nil, l) {
		t.Fatal("overwrite reported new")
	}
	h.Set([]byte("b"), []byte("3"), l)
	want := []string{"a=", "b=3", "c=", "=empty-field"}
	if got := hashPairs(h); !slices.Equal(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
	if h.Encoding() != "listpack" || h.Len() != 4 {
		t.Fatal(h.Encoding(), h.Len())
	}
	if v, ok := h.Get([]byte("")); !ok || string(v) != "empty-field" {
		t.Fatal("get empty field")
	}
	if _, ok := h.Get([]byte("zz")); ok || h.Exists([]byte("zz")) {
		t.Fatal("phantom field")
	}
	if !h.Delete([]byte("b")) || h.Delete([]byte("b")) || h.Len() != 3 {
		t.Fatal("delete")
	}
	if got := hashPairs(h); !slices.Equal(got, []string{"a=", "c=", "=empty-field"}) {
		t.Fatal(got)
	}
}

func TestHashConversion(t *testing.T) {
	l := testLimits(2, 5, 512)
	h := NewHash()
	h.Set([]byte("a"), []byte("1"), l)
	h.Set([]byte("b"), []byte("2"), l)
	h.Set([]byte("b"), []byte("22"), l) // an update at the limit does not convert
	if h.Encoding() != "listpack" {
		t.Fatal("converted too early")
	}
	h.Set([]byte("c"), []byte("3"), l)
	if h.Encoding() != "hashtable" || h.Len() != 3 {
		t.Fatal("not converted on entries", h.Encoding(), h.Len())
	}
	for _, f := range []string{"a", "b", "c"} {
		h.Delete([]byte(f))
	}
	h.Set([]byte("x"), []byte("1"), l)
	if h.Encoding() != "hashtable" {
		t.Fatal("converted back")
	}

	for _, tc := range []struct{ f, v string }{{"123456", "v"}, {"f", "123456"}} {
		h := NewHash()
		h.Set([]byte("a"), []byte("1"), l)
		h.Set([]byte(tc.f), []byte(tc.v), l)
		if h.Encoding() != "hashtable" {
			t.Fatalf("%q=%q: not converted on length", tc.f, tc.v)
		}
		if v, _ := h.Get([]byte(tc.f)); string(v) != tc.v {
			t.Fatal("lost value")
		}
		if v, _ := h.Get([]byte("a")); string(v) != "1" {
			t.Fatal("lost value on conversion")
		}
	}
	// Exactly hash-max-listpack-value bytes stays packed; a limit of 0 still takes "".
	h = NewHash()
	h.Set([]byte("12345"), []byte("12345"), l)
	if h.Encoding() != "listpack" {
		t.Fatal("converted at the limit")
	}
	h = NewHash()
	h.Set(nil, nil, testLimits(128, 0, 512))
	if h.Encoding() != "listpack" {
		t.Fatal("empty strings converted")
	}
	h.Set([]byte("f"), nil, testLimits(0, 64, 512))
	if h.Encoding() != "hashtable" {
		t.Fatal("entries 0 kept a listpack")
	}
}

// TestHashModel checks both encodings against a map under random operations, with
// limits low enough that many hashes convert midway.
func TestHashModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		l := testLimits(int64(rng.IntN(40)), int64(rng.IntN(20)), 512)
		h := NewHash()
		model := map[string]string{}
		for range 300 {
			f := fmt.Sprint("f", rng.IntN(60))
			switch rng.IntN(3) {
			case 0, 1:
				v := strings.Repeat("v", rng.IntN(25))
				_, had := model[f]
				if h.Set([]byte(f), []byte(v), l) == had {
					t.Fatalf("round %d: Set(%s) new mismatch", round, f)
				}
				model[f] = v
			case 2:
				_, had := model[f]
				if h.Delete([]byte(f)) != had {
					t.Fatalf("round %d: Delete(%s) mismatch", round, f)
				}
				delete(model, f)
			}
			if h.Len() != len(model) {
				t.Fatalf("round %d: len %d want %d", round, h.Len(), len(model))
			}
		}
		got := map[string]string{}
		h.Each(func(f, v []byte) bool { got[string(f)] = string(v); return true })
		if fmt.Sprint(got) != fmt.Sprint(model) {
			t.Fatalf("round %d: contents differ", round)
		}
		c := h.Clone().(*Hash)
		h.Set([]byte("f0"), []byte("changed"), l)
		if v, ok := c.Get([]byte("f0")); ok && string(v) == "changed" {
			t.Fatal("clone shares storage")
		}
	}
}

func TestHashScanAndRandom(t *testing.T) {
	for _, entries := range []int64{128, 4} {
		l := testLimits(entries, 64, 512)
		h := NewHash()
		for i := range 50 {
			h.Set(fmt.Appendf(nil, "f%d", i), fmt.Appendf(nil, "v%d", i), l)
		}
		seen := map[string]bool{}
		cursor, calls := uint64(0), 0
		for {
			cursor = h.Scan(cursor, func(f, v []byte) {
				if "v"+string(f[1:]) != string(v) {
					t.Fatalf("pair %s=%s", f, v)
				}
				seen[string(f)] = true
			})
			calls++
			if cursor == 0 {
				break
			}
		}
		if len(seen) != 50 {
			t.Fatalf("%s: scan saw %d", h.Encoding(), len(seen))
		}
		if h.Encoding() == "listpack" && calls != 1 {
			t.Fatal("listpack scan not in one call")
		}
		for _, count := range []int{1, 10, 20, 49} {
			got := map[string]bool{}
			h.SamplePairs(count, rand.IntN, func(f, v []byte) bool {
				if got[string(f)] {
					t.Fatalf("%s: sample repeated %s", h.Encoding(), f)
				}
				got[string(f)] = true
				return true
			})
			if len(got) != count {
				t.Fatalf("%s: sample of %d gave %d", h.Encoding(), count, len(got))
			}
		}
		n := 0
		h.RandomPairs(1000, rand.IntN, func(f, v []byte) bool { n++; return n < 500 })
		if n != 500 {
			t.Fatal("RandomPairs did not stop")
		}
		if f, _, ok := h.Random(rand.IntN); !ok || !h.Exists(f) {
			t.Fatal("random")
		}
	}
	if _, _, ok := NewHash().Random(rand.IntN); ok {
		t.Fatal("random of empty")
	}
}

// heapPer measures the heap bytes per element that build() retains for n values.
func heapPer(n, elems int, build func() Value) float64 {
	keep := make([]Value, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = build()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n*elems)
}

// TestHashListpackIsCompact measures what a small hash costs per field in each
// encoding: the packed form must take a fraction of the hashtable.
func TestHashListpackIsCompact(t *testing.T) {
	const fields = 20
	build := func(l *Limits) func() Value {
		return func() Value {
			h := NewHash()
			for i := range fields {
				h.Set(fmt.Appendf(nil, "field:%d", i), fmt.Appendf(nil, "value:%d", i), l)
			}
			return h
		}
	}
	packed := heapPer(2000, fields, build(testLimits(128, 64, 512)))
	table := heapPer(2000, fields, build(testLimits(0, 64, 512)))
	t.Logf("bytes per field: listpack %.1f, hashtable %.1f", packed, table)
	if packed*5 > table*2 { // at most 2/5 of the hashtable
		t.Fatalf("listpack %.1f bytes/field is not compact next to hashtable %.1f", packed, table)
	}
	h := build(testLimits(128, 64, 512))().(*Hash)
	if m := h.Mem(); m < int64(fields*16) || m > int64(fields*40) {
		t.Fatalf("listpack Mem %d is off", m)
	}
	ht := build(testLimits(0, 64, 512))().(*Hash)
	if ht.Mem() < h.Mem()*2 {
		t.Fatalf("hashtable Mem %d vs listpack %d", ht.Mem(), h.Mem())
	}
}

func benchHashSetGet(b *testing.B, l *Limits) {
	fields := make([][]byte, 64)
	for i := range fields {
		fields[i] = fmt.Appendf(nil, "field:%d", i)
	}
	val := []byte("some value")
	b.ReportAllocs()
	for b.Loop() {
		h := NewHash()
		for _, f := range fields {
			h.Set(f, val, l)
		}
		for _, f := range fields {
			h.Get(f)
		}
	}
}

// 64 fields set then read: listpack (linear lookups, as Redis) and hashtable.
func BenchmarkHashListpackSetGet(b *testing.B) { benchHashSetGet(b, DefaultLimits()) }
func BenchmarkHashTableSetGet(b *testing.B)    { benchHashSetGet(b, testLimits(0, 64, 512)) }
