package proxy

import (
	"bufio"
	"math"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
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

// TestLatencyHist: runs of observations land in the buckets Prometheus's own
// histogram would put them in (upper bounds inclusive), cumulatively when scraped.
func TestLatencyHist(t *testing.T) {
	var h latencyHist
	h.observe(50*time.Microsecond, 3) // on a bound: that bucket
	h.observe(51*time.Microsecond, 2)
	h.observe(10*time.Second, 1) // past the last bound: +Inf only
	var m dto.Metric
	if err := h.metric().Write(&m); err != nil {
		t.Fatal(err)
	}
	hg := m.GetHistogram()
	if hg.GetSampleCount() != 6 {
		t.Fatalf("count %d, want 6", hg.GetSampleCount())
	}
	if got, want := hg.GetSampleSum(), 3*50e-6+2*51e-6+10; math.Abs(got-want) > 1e-9 {
		t.Fatalf("sum %v, want %v", got, want)
	}
	for _, b := range hg.GetBucket() {
		want := uint64(5)
		switch {
		case b.GetUpperBound() == 50e-6:
			want = 3
		case b.GetUpperBound() < 50e-6:
			want = 0
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}
