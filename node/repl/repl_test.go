package repl

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestBacklog(t *testing.T) {
	b := NewBacklog(8, 0)
	if _, ok := b.Since(1); !ok {
		t.Fatal("an empty stream continues from offset 1")
	}
	b.Append([]byte("abcde"))
	if p, ok := b.Since(3); !ok || string(p) != "cde" {
		t.Fatalf("Since(3) = %q %v", p, ok)
	}
	b.Append([]byte("fghij")) // wraps: holds "cdefghij"
	if b.First() != 3 || b.End() != 10 || b.Len() != 8 {
		t.Fatalf("first %d end %d len %d", b.First(), b.End(), b.Len())
	}
	if _, ok := b.Since(2); ok {
		t.Error("Since(2) after it left the backlog")
	}
	if p, ok := b.Since(3); !ok || string(p) != "cdefghij" {
		t.Errorf("Since(3) = %q %v", p, ok)
	}
	if p, ok := b.Since(11); !ok || len(p) != 0 {
		t.Errorf("Since(end+1) = %q %v", p, ok)
	}
	b.Append(bytes.Repeat([]byte("z"), 20))
	if p, ok := b.Since(b.First()); !ok || string(p) != "zzzzzzzz" {
		t.Errorf("after a large append: %q", p)
	}
}

func TestBacklogResized(t *testing.T) {
	b := NewBacklog(8, 100)
	b.Append([]byte("abcdefghij")) // holds "cdefghij", offsets 103..110
	small := b.Resized(4)
	if p, ok := small.Since(107); !ok || string(p) != "ghij" || small.End() != 110 {
		t.Errorf("shrunk: %q %v end %d", p, ok, small.End())
	}
	if _, ok := small.Since(106); ok {
		t.Error("shrunk backlog still serves a dropped offset")
	}
	big := b.Resized(64)
	if p, ok := big.Since(103); !ok || string(p) != "cdefghij" || big.End() != 110 {
		t.Errorf("grown: %q %v end %d", p, ok, big.End())
	}
	big.Append([]byte("k"))
	if p, _ := big.Since(103); string(p) != "cdefghijk" {
		t.Errorf("grown, then appended: %q", p)
	}
	if e := NewBacklog(8, 5).Resized(16); e.End() != 5 || e.Len() != 0 {
		t.Errorf("empty resized: end %d len %d", e.End(), e.Len())
	}
}

// TestBacklogModel checks a backlog against the plain stream it models — every byte
// appended, the backlog holding the last Size of them — over random appends of sizes
// around the ring's and the staging buffer's, with reads between them.
func TestBacklogModel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 8, 100, stageSize - 1, stageSize, 3*stageSize + 5} {
		const base = 1000
		b := NewBacklog(size, base)
		var stream []byte // the bytes after offset base
		for step := 0; step < 2000; step++ {
			p := make([]byte, rnd.IntN(3*min(size, stageSize)+2))
			for i := range p {
				p[i] = byte(rnd.Uint32())
			}
			b.Append(p)
			stream = append(stream, p...)
			held := min(len(stream), size)
			if b.End() != base+int64(len(stream)) || b.Len() != held || b.First() != b.End()-int64(held)+1 {
				t.Fatalf("size %d step %d: end %d len %d first %d, want end %d len %d", size, step, b.End(), b.Len(), b.First(), base+len(stream), held)
			}
			if rnd.IntN(4) > 0 {
				continue
			}
			off := b.First() + int64(rnd.IntN(held+1))
			got, ok := b.Since(off)
			if want := stream[off-base-1:]; !ok || !bytes.Equal(got, want) {
				t.Fatalf("size %d step %d: Since(%d) = %d bytes %v, want %d", size, step, off, len(got), ok, len(want))
			}
			if _, ok := b.Since(b.First() - 1); ok && b.First() > base+1 {
				t.Fatalf("size %d step %d: served an offset no longer held", size, step)
			}
		}
	}
}
