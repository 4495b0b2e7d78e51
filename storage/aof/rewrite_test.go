package aof

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/storage"
)

// TestAppendKeyPart: a big collection appended in parts of n elements gives, over all
// parts, every element exactly once, in commands of at most itemsPerCmd items, and
// its expire once, at the end; small values come whole in one part.
func TestAppendKeyPart(t *testing.T) {
	lim := storage.DefaultLimits()
	const n = 5000
	h, s, z, l := storage.NewHash(), storage.NewSet(), storage.NewZSet(), storage.NewList()
	for i := range n {
		e := []byte("e" + strconv.Itoa(i))
		h.Set(e, []byte(strconv.Itoa(i)), lim)
		s.Add(e, lim)
		z.Add(e, float64(i), 0, lim)
		l.PushBack(e)
	}
	small := storage.NewHash()
	small.Set([]byte("f"), []byte("v"), lim)
	for _, tc := range []struct {
		name  string
		v     storage.Value
		items int // arguments per element
		big   bool
	}{{"HMSET", h, 2, true}, {"SADD", s, 1, true}, {"ZADD", z, 2, true}, {"RPUSH", l, 1, true}, {"HMSET", small, 2, false}} {
		if Big(tc.v) != tc.big {
			t.Errorf("%s: Big %v", tc.name, !tc.big)
		}
		var cur KeyCursor
		var dig storage.Digest
		var all []byte
		parts := 0
		for done := false; !done; parts++ {
			var b []byte
			b, done = AppendKeyPart(nil, []byte("k"), nil, tc.v, 1234, &cur, 1000, &dig)
			all = append(all, b...)
			if parts > 100 {
				t.Fatalf("%s: no end after %d parts", tc.name, parts)
			}
		}
		if tc.big && parts < 5 || !tc.big && parts != 1 {
			t.Errorf("%s: %d parts", tc.name, parts)
		}
		seen := map[string]bool{}
		expires := 0
		r := NewReader(bytes.NewReader(all), 0, 1<<20)
		for {
			args, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch string(args[0]) {
			case "PEXPIREAT":
				expires++
			case tc.name:
				items := args[2:]
				if len(items) > itemsPerCmd*tc.items {
					t.Errorf("%s: a command of %d items", tc.name, len(items))
				}
				for i := 0; i < len(items); i += tc.items {
					e := string(items[i+tc.items-1])
					if tc.name == "HMSET" {
						e = string(items[i])
					}
					if seen[e] {
						t.Errorf("%s: %s twice", tc.name, e)
					}
					seen[e] = true
				}
			default:
				t.Errorf("%s: unexpected %q", tc.name, args[0])
			}
		}
		if want := map[bool]int{true: n, false: 1}[tc.big]; len(seen) != want || expires != 1 {
			t.Errorf("%s: %d elements, %d expires", tc.name, len(seen), expires)
		}
		// The parts' digests make the key's.
		if want := storage.KeyDigest([]byte("k"), nil, tc.v); dig != want {
			t.Errorf("%s: digest %s by parts, %s whole", tc.name, dig, want)
		}
	}
}
