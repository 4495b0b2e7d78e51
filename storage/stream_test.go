package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

type modelEntry struct {
	id StreamID
	fv []string
}

// TestStreamModel checks the packed stream against a plain sorted slice under random
// appends, deletions, trims and range reads, with small nodes so that entries span
// many of them.
func TestStreamModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := NewStream()
		var model []modelEntry
		maxEntries := int64(1 + rng.IntN(6))
		next := StreamID{Ms: 1}
		for step := range 3000 {
			switch op := rng.IntN(10); {
			case op < 5:
				next = StreamID{Ms: next.Ms + uint64(rng.IntN(3)), Seq: uint64(rng.IntN(4))}
				if !s.LastID.Less(next) {
					next, _ = s.LastID.Next()
				}
				fv := []string{"f", fmt.Sprint(step)}
				if rng.IntN(3) == 0 {
					fv = append(fv, "g"+fmt.Sprint(rng.IntN(2)), "x")
				}
				b := make([][]byte, len(fv))
				for i := range fv {
					b[i] = []byte(fv[i])
				}
				s.Append(next, b, maxEntries, 0)
				model = append(model, modelEntry{next, fv})
			case op < 7 && len(model) > 0:
				i := rng.IntN(len(model))
				if !s.Delete(model[i].id) {
					t.Fatalf("seed %d step %d: delete %v failed", seed, step, model[i].id)
				}
				model = slices.Delete(model, i, i+1)
			case op == 7 && len(model) > 0:
				keep := int64(rng.IntN(len(model) + 1))
				want := int64(len(model)) - keep
				if got := s.Trim(keep, StreamID{}, false, false, 0); got != want {
					t.Fatalf("seed %d step %d: trim to %d removed %d, want %d", seed, step, keep, got, want)
				}
				model = model[len(model)-int(keep):]
			case op == 8 && len(model) > 0:
				min := model[rng.IntN(len(model))].id
				n := 0
				for n < len(model) && model[n].id.Less(min) {
					n++
				}
				if got := s.Trim(0, min, true, false, 0); got != int64(n) {
					t.Fatalf("seed %d step %d: trim minid removed %d, want %d", seed, step, got, n)
				}
				model = model[n:]
			default:
				checkRange(t, s, model, rng)
			}
			if s.Len() != int64(len(model)) {
				t.Fatalf("seed %d step %d: len %d, want %d", seed, step, s.Len(), len(model))
			}
			if len(model) > 0 && s.FirstID != model[0].id {
				t.Fatalf("seed %d step %d: first %v, want %v", seed, step, s.FirstID, model[0].id)
			}
			if want := streamBufs(s); s.bufs != want {
				t.Fatalf("seed %d step %d: bufs %d, nodes hold %d", seed, step, s.bufs, want)
			}
		}
		checkRange(t, s, model, rng)
		clone := s.Clone().(*Stream)
		checkRange(t, clone, model, rng)
		if want := streamBufs(clone); clone.bufs != want {
			t.Fatalf("seed %d: the clone's bufs %d, nodes hold %d", seed, clone.bufs, want)
		}
	}
}

// streamBufs counts what Stream.bufs keeps: the live nodes with their buffers.
func streamBufs(s *Stream) int64 {
	var n int64
	for _, nd := range s.live() {
		n += nd.mem()
	}
	return n
}

func checkRange(t *testing.T, s *Stream, model []modelEntry, rng *rand.Rand) {
	t.Helper()
	pick := func() StreamID {
		if len(model) == 0 || rng.IntN(4) == 0 {
			return StreamID{Ms: uint64(rng.IntN(2000)), Seq: uint64(rng.IntN(4))}
		}
		return model[rng.IntN(len(model))].id
	}
	start, end := pick(), pick()
	if end.Less(start) {
		start, end = end, start
	}
	var want []string
	for _, e := range model {
		if !e.id.Less(start) && !end.Less(e.id) {
			want = append(want, fmt.Sprint(e.id, e.fv))
		}
	}
	for _, rev := range []bool{false, true} {
		var got []string
		s.Range(start, end, rev, func(id StreamID, fv [][]byte) bool {
			strs := make([]string, len(fv))
			for i := range fv {
				strs[i] = string(fv[i])
			}
			got = append(got, fmt.Sprint(id, strs))
			return true
		})
		if rev {
			slices.Reverse(got)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("range %v..%v rev=%v:\n got %v\nwant %v", start, end, rev, got, want)
		}
	}
}

func TestParseStreamID(t *testing.T) {
	for _, c := range []struct {
		in       string
		id       StreamID
		seqGiven bool
		ok       bool
	}{
		{"1-2", StreamID{1, 2}, true, true},
		{"5", StreamID{5, 9}, false, true},
		{"18446744073709551615-18446744073709551615", MaxStreamID, true, true},
		{"18446744073709551616-0", StreamID{}, false, false},
		{"", StreamID{}, false, false},
		{"-", StreamID{}, false, false},
		{"1-", StreamID{}, false, false},
		{"-1", StreamID{}, false, false},
		{"+1-1", StreamID{}, false, false},
		{"1-2-3", StreamID{}, false, false},
		{" 1", StreamID{}, false, false},
	} {
		id, seqGiven, ok := ParseStreamID([]byte(c.in), 9)
		if ok != c.ok || ok && (id != c.id || seqGiven != c.seqGiven) {
			t.Errorf("%q: %v %v %v", c.in, id, seqGiven, ok)
		}
	}
}
