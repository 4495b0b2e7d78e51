package node

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzMoveReply: the source's reader of the target's replies on a slot move's import
// session never panics, and stops at the end of its input.
func FuzzMoveReply(f *testing.F) {
	for _, seed := range []string{
		"+OK\r\n:1\r\n$22\r\nshoal-move-sync-123456\r\n",
		"$-1\r\n*2\r\n:1\r\n$3\r\nabc\r\n-ERR nope\r\n",
		"$40\r\nshoal-move-digest 1:0123456789abcdef0123\r\n",
		"*3\r\n*1\r\n*1\r\n:5\r\n+x\r\n$1\r\nz\r\n",
		"$999999999\r\n", "*-1\r\n", "?\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		var last moveReplies
		for range len(b) + 1 {
			if _, err := readMoveReply(r, 0, &last); err != nil {
				return
			}
		}
		t.Fatalf("%q: more replies than bytes", b)
	})
}
