package resp

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"
	"testing/iotest"
)

// chunkReader returns data in chunks of random sizes up to max.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+c.rng.IntN(c.max), len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// refParse is a reference for the Reader: Redis's rules applied to the whole input at
// once, with no buffering and no incremental state. An incomplete last request is
// dropped without error, as the Reader leaves it pending at EOF.
func refParse(in []byte, maxBulk int64, unauth bool) ([]req, string) {
	// find returns the index of c in the line at in[at:], as the Reader's lineEnd: not
	// past a NUL, nor past 64 KiB + 1 bytes. long reports a line that is too long.
	find := func(at int, c byte) (i int, long bool) {
		for j := at; j < len(in) && j <= at+inlineMaxSize; j++ {
			if in[j] == 0 {
				break
			}
			if in[j] == c {
				return j, false
			}
		}
		return -1, len(in)-at > inlineMaxSize
	}
	var reqs []req
	pos := 0
	for pos < len(in) {
		start := pos
		if in[pos] != '*' {
			i, long := find(pos, '\n')
			if i < 0 {
				if long {
					return reqs, errTooBigInline
				}
				return reqs, ""
			}
			line := bytes.TrimSuffix(in[pos:i], []byte("\r"))
			args, ok := splitArgs(line, nil, make([]byte, 0, len(line)))
			if !ok {
				return reqs, errUnbalanced
			}
			pos = i + 1
			if len(args) > 0 {
				reqs = append(reqs, copyReq(Request{Args: args, Raw: in[start:pos], Inline: true}))
			}
			continue
		}
		i, long := find(pos, '\r')
		if i < 0 {
			if long {
				return reqs, errTooBigMbulk
			}
			return reqs, ""
		}
		if i+2 > len(in) {
			return reqs, ""
		}
		n, ok := parseInt(in[pos+1 : i])
		if !ok || n > 1<<31-1 {
			return reqs, errInvalidMbulk
		}
		if unauth && n > 10 {
			return reqs, errUnauthMbulk
		}
		pos = i + 2
		var args [][]byte
		for ; n > 0; n-- {
			i, long := find(pos, '\r')
			if i < 0 {
				if long {
					return reqs, errTooBigBulk
				}
				return reqs, ""
			}
			if i+2 > len(in) {
				return reqs, ""
			}
			if in[pos] != '$' {
				return reqs, expectedDollar(in[pos])
			}
			l, ok := parseInt(in[pos+1 : i])
			if !ok || l < 0 || l > maxBulk {
				return reqs, errInvalidBulk
			}
			if unauth && l > 16384 {
				return reqs, errUnauthBulk
			}
			pos = i + 2
			if int64(len(in)-pos) < l+2 {
				return reqs, ""
			}
			args = append(args, in[pos:pos+int(l)])
			pos += int(l) + 2
		}
		if args != nil {
			reqs = append(reqs, copyReq(Request{Args: args, Raw: in[start:pos]}))
		}
	}
	return reqs, ""
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		pipeline, benchReq, "PING\r\n", "*0\r\n", "*-1\r\n\r\n", `set "a b" 'c d' "\x41"` + "\n",
		"*1\r\n$-1\r\n", "*x\r\n", "*1\r\nfoo\r\n", "*11\r\n", "*1\r\n$20000\r\n", "\"abc\n",
		"*2\r\n$1\r\na\r\n$9\r\n01234", "PI\x00NG\r\n", "*1\rX$1\rYaZZ",
	} {
		f.Add([]byte(s), uint64(1), uint8(0))
		f.Add([]byte(s), uint64(7), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, mode uint8) {
		lim, maxBulk := Limits{}, int64(DefaultMaxBulkLen)
		if mode&1 != 0 {
			lim.MaxBulkLen, maxBulk = 8, 8
		}
		unauth := mode&2 != 0
		wantReqs, wantErr := refParse(data, maxBulk, unauth)

		rng := rand.New(rand.NewPCG(seed, seed>>32))
		readers := map[string]io.Reader{
			"whole":  bytes.NewReader(data),
			"bytes":  iotest.OneByteReader(bytes.NewReader(data)),
			"chunks": &chunkReader{data: data, rng: rng, max: 1 + int(seed%64)},
		}
		for name, rd := range readers {
			reqs, err := readAll(t, rd, lim, unauth)
			if err != nil && err != ErrQueryBufLimit {
				if _, ok := err.(*ProtocolError); !ok {
					t.Fatalf("%s: unexpected error %v", name, err)
				}
			}
			if got := errText(err); got != wantErr || !reflect.DeepEqual(reqs, wantReqs) {
				t.Fatalf("%s: got %q %q\nwant %q %q", name, reqs, got, wantReqs, wantErr)
			}
			// Each request takes at least 2 bytes ("a\n"), and the Raws are the input's
			// bytes, in order and without overlap.
			if 2*len(reqs) > len(data) {
				t.Fatalf("%s: %d requests from %d bytes", name, len(reqs), len(data))
			}
			at := 0
			for _, q := range reqs {
				i := bytes.Index(data[at:], []byte(q.Raw))
				if i < 0 || len(q.Args) == 0 {
					t.Fatalf("%s: request %q is not in the input after %d", name, q, at)
				}
				at += i + len(q.Raw)
			}
		}
	})
}
