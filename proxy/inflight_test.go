package proxy

import (
	"bufio"
	"testing"
)

// TestInflight hands calls from a writer to a reader in batches of every size: the
// reader gets each once, in order; the writer waits (flushing first) while inflightCap
// calls are unread; and after close the reader gets what is left, then nil.
func TestInflight(t *testing.T) {
	q := newInflight()
	const total = 5 * inflightCap
	calls := make([]*call, total)
	for i := range calls {
		calls[i] = &call{slot: i}
	}
	flushes := 0
	bw := bufio.NewWriterSize(writerFunc(func(p []byte) (int, error) { flushes++; return len(p), nil }), 16)
	bw.WriteString("x") // something to flush
	go func() {
		for i, n := 0, 1; i < total; i, n = i+n, n*2%1000+1 {
			q.put(calls[i:min(total, i+n)], bw)
		}
		q.close()
	}()
	var buf []*call
	next, most := 0, 0
	for {
		if buf = q.take(buf); buf == nil {
			break
		}
		most = max(most, len(buf))
		for _, c := range buf {
			if c.slot != next {
				t.Fatalf("call %d came as number %d", c.slot, next)
			}
			next++
		}
	}
	if next != total {
		t.Fatalf("the reader got %d calls, want %d", next, total)
	}
	if most > inflightCap+1000 {
		t.Fatalf("%d calls waited at once, past the cap %d (and a batch)", most, inflightCap)
	}
	t.Logf("most at once %d, flushes %d", most, flushes)
}

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
