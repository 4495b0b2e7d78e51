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
