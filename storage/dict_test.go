package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestDict(t *testing.T) {
	d := NewDict[int](0)
	for i := range 1000 {
		if !d.Set(fmt.Appendf(nil, "k%d", i), i) {
			t.Fatal("not new")
		}
	}
	if d.Set([]byte("k1"), 7) || d.Len() != 1000 {
		t.Fatal("overwrite")
	}
	if v, ok := d.Get([]byte("k1")); !ok || v != 7 {
		t.Fatal("get")
	}
	seen := map[string]bool{}
	c := uint64(0)
	steps := 0
	for {
		c = d.Scan(c, func(k string, _ int) { seen[k] = true })
		steps++
		if steps == 20 {
			for i := 1000; i < 3000; i++ {
				d.Set(fmt.Appendf(nil, "k%d", i), i)
			}
		}
		if c == 0 {
			break
		}
	}
	for i := range 1000 {
		if !seen[fmt.Sprintf("k%d", i)] {
			t.Fatalf("k%d missed by scan", i)
		}
	}
	for i := range 3000 {
		if _, ok := d.Delete(fmt.Appendf(nil, "k%d", i)); !ok {
			t.Fatalf("delete k%d", i)
		}
	}
	if d.Len() != 0 || len(d.buckets) != minBuckets {
		t.Fatalf("len %d buckets %d", d.Len(), len(d.buckets))
	}
	if _, _, ok := d.Random(rand.IntN); ok {
		t.Fatal("random on empty")
	}
}

// TestDictResizeSteps drives a dict through growth and shrinkage with random adds and
// deletes, so most operations meet a resize in progress, and checks it against a map:
// lookups, Len, Each, Random, and Scan's guarantee (every element present from a
// scan's start to its end is visited) with changes between its calls.
func TestDictResizeSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewDict[int](0)
	ref := map[string]int{}
	key := func() string { return fmt.Sprintf("k%d", rng.IntN(20000)) }
	check := func() {
		t.Helper()
		if d.Len() != len(ref) {
			t.Fatalf("Len %d, want %d", d.Len(), len(ref))
		}
		seen := 0
		d.Each(func(k string, v int) bool {
			if w, ok := ref[k]; !ok || w != v {
				t.Fatalf("Each gave %s=%d, want %d (present %v)", k, v, w, ok)
			}
			if _, ok := d.Get([]byte(k)); !ok { // a lookup during Each changes nothing
				t.Fatalf("Get %s during Each", k)
			}
			seen++
			return true
		})
		if seen != len(ref) {
			t.Fatalf("Each visited %d, want %d", seen, len(ref))
		}
		if k, v, ok := d.Random(rng.IntN); ok != (len(ref) > 0) || (ok && ref[k] != v) {
			t.Fatalf("Random gave %s=%d %v", k, v, ok)
		}
	}
	resizing, scanResizing := 0, 0
	for phase, target := range []int{15000, 200, 12000, 0} {
		for n := 0; len(ref) != target || n < 5000; n++ {
			k := key()
			add := len(ref) < target || (len(ref) == target && rng.IntN(2) == 0)
			if add {
				isNew := d.Set([]byte(k), n)
				if _, had := ref[k]; had == isNew {
					t.Fatalf("phase %d: Set %s reported new=%v", phase, k, isNew)
				}
				ref[k] = n
			} else {
				_, ok := d.Delete([]byte(k))
				if _, had := ref[k]; had != ok {
					t.Fatalf("phase %d: Delete %s reported %v", phase, k, ok)
				}
				delete(ref, k)
			}
			if d.old != nil {
				resizing++
			}
			if v, ok := d.Get([]byte(k)); ok != add || (ok && v != n) {
				t.Fatalf("phase %d: Get %s = %d, %v after add=%v", phase, k, v, ok, add)
			}
			if n%997 == 0 {
				check()
			}
		}
		check()

		// A scan with changes between its calls: what was present throughout is seen.
		before := map[string]bool{}
		for k := range ref {
			before[k] = true
		}
		removed := map[string]bool{}
		seen := map[string]bool{}
		for c, first := uint64(0), true; first || c != 0; first = false {
			if d.old != nil {
				scanResizing++
			}
			c = d.Scan(c, func(k string, _ int) { seen[k] = true })
			for range 20 {
				k := key()
				if rng.IntN(3) == 0 {
					d.Delete([]byte(k))
					delete(ref, k)
					removed[k] = true
				} else {
					d.Set([]byte(k), 0)
					ref[k] = 0
				}
			}
		}
		for k := range before {
			if !removed[k] && !seen[k] {
				t.Fatalf("phase %d: scan missed %s", phase, k)
			}
		}
		check()
	}
	if resizing == 0 || scanResizing == 0 {
		t.Fatalf("a resize in progress met by %d operations and %d scan steps, want some of each", resizing, scanResizing)
	}
}
