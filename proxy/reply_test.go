package proxy

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	replies := []string{
		"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "$0\r\n\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "%1\r\n+k\r\n$1\r\nv\r\n", "~2\r\n:1\r\n:2\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n",
		",3.14\r\n", "#t\r\n", "_\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n", "!5\r\nERR x\r\n",
		"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", "$4\r\na\r\nb\r\n",
	}
	stream := strings.Join(replies, "")
	br := bufio.NewReader(strings.NewReader(stream))
	for _, want := range replies {
		got, err := readReply(br, nil)
		if err != nil || string(got) != want {
			t.Fatalf("readReply: %q %v, want %q", got, err, want)
		}
	}
	for _, bad := range []string{"?x\r\n", "$abc\r\n", "$3\r\nabcde\r\n", "*x\r\n", "+OK\n", strings.Repeat("*1\r\n", maxDepth+2) + ":1\r\n"} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(bad)), nil); err == nil {
			t.Errorf("%q read without an error", bad)
		}
	}
}

// FuzzReadReply: any input is read as whole replies or refused, never a panic, and
// what is read comes back byte for byte.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte("*2\r\n$1\r\na\r\n%1\r\n+k\r\n:1\r\n"))
	f.Add([]byte("|1\r\n+a\r\n:1\r\n>1\r\n_\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(bytes.NewReader(in))
		var all []byte
		for {
			r, err := readReply(br, nil)
			if err != nil {
				break
			}
			all = append(all, r...)
		}
		if !bytes.HasPrefix(in, all) {
			t.Fatalf("read %q from %q", all, in)
		}
	})
}
