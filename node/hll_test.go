package node

import (
	"fmt"
	"testing"
)

// TestHLLMatchesRedis adds the same elements on shoal and Redis and compares the raw
// HyperLogLog strings (sparse, then dense), the counts and merges.
func TestHLLMatchesRedis(t *testing.T) {
	var cmds []rawCmd
	cmds = append(cmds, xs("PFADD", "h"), xs("GET", "h"), xs("PFCOUNT", "h"))
	for i := range 60 {
		cmds = append(cmds, xs("PFADD", "h", fmt.Sprint("e", i), fmt.Sprint("f", i*7)))
		if i%10 == 0 {
			cmds = append(cmds, xs("GET", "h"), xs("PFCOUNT", "h"), xs("GET", "h"))
		}
	}
	cmds = append(cmds, xs("PFADD", "h", "e1"), xs("PFDEBUG", "ENCODING", "h"))
	// Grow past hll-sparse-max-bytes into dense.
	for i := range 40 {
		args := []string{"PFADD", "big"}
		for j := range 50 {
			args = append(args, fmt.Sprint("x", i, "-", j))
		}
		cmds = append(cmds, xs(args...))
	}
	cmds = append(cmds,
		xs("PFDEBUG", "ENCODING", "big"), xs("GET", "big"), xs("PFCOUNT", "big"),
		xs("PFCOUNT", "h", "big", "nokey"),
		xs("PFMERGE", "m", "h", "nokey"), xs("GET", "m"), xs("PFCOUNT", "m"),
		xs("PFMERGE", "m2", "h", "big"), xs("PFDEBUG", "ENCODING", "m2"), xs("PFCOUNT", "m2"),
		xs("PFMERGE", "h", "m2"), xs("GET", "h"),
		xs("SET", "s", "not an hll"), xs("PFADD", "s", "a"), xs("PFCOUNT", "s"), xs("PFMERGE", "s", "h"),
		xs("PFCOUNT", "h", "s"), xs("LPUSH", "l", "a"), xs("PFADD", "l", "a"),
		xs("SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff"), xs("PFCOUNT", "bad"),
		xs("PFADD", "bad", "x"),
		xs("PFDEBUG", "GETREG", "nokey"), xs("PFDEBUG", "TODENSE", "m"), xs("PFDEBUG", "ENCODING", "m"),
		xs("PFDEBUG", "BOGUS", "m"), xs("PFSELFTEST"),
		xs("PFADD", "z", "a"), xs("PFADD", "z", "a"), xs("PFADD", "z"), xs("PFCOUNT", "z", "z"),
	)
	rawCompare(t, 2, cmds...)
}

func TestHLLAccuracy(t *testing.T) {
	_, addr := startShoal(t)
	c := newClient(t, addr, 2)
	ctx := t.Context()
	const n = 100000
	args := make([]any, 0, 1002)
	for i := 0; i < n; i += 1000 {
		args = append(args[:0], "PFADD", "acc")
		for j := i; j < i+1000; j++ {
			args = append(args, fmt.Sprint("member:", j))
		}
		c.Do(ctx, args...)
	}
	got := c.PFCount(ctx, "acc").Val()
	if got < n*98/100 || got > n*102/100 {
		t.Fatalf("PFCOUNT %d for %d distinct elements", got, n)
	}
}

// FuzzHLL feeds arbitrary strings to the HyperLogLog decoders and the sparse update, as
// a client can SET any bytes and then PFADD/PFCOUNT them: reject or work, never panic.
func FuzzHLL(f *testing.F) {
	f.Add(newHLL(), 5, 3)
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x85\x7f"), 1, 40)
	f.Fuzz(func(t *testing.T, b []byte, index, count int) {
		if !validHLL(b) {
			return
		}
		var regs [hllRegisters]uint8
		if hllRegistersOf(b, &regs) {
			hllEstimate(&regs)
		}
		index &= hllPMask
		count = count&63 + 1
		b = append([]byte(nil), b...)
		if nb, _, ok := hllSet(b, index, count, 3000); ok && !validHLL(nb) {
			t.Fatalf("hllSet made an invalid value from %x", b)
		}
	})
}
