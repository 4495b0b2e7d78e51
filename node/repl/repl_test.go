package repl

import (
	"bytes"
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
