package node

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/slots"
)

// TestClientMemo: the remembered command and key slot are always what a fresh lookup
// gives, whatever the sequence of names and keys (short, empty, too long to hold,
// sharing a prefix with the one held).
func TestClientMemo(t *testing.T) {
	c := &Client{s: &Server{table: newTable(allDefs())}}
	long := strings.Repeat("k", 40)
	for i, k := range []string{"a", "a", "", "", "ab", long, long, long + "x", "a", "{a}b", "{a}b", strings.Repeat("z", 31), strings.Repeat("z", 32)} {
		if got, want := c.keySlot([]byte(k)), slots.KeySlot([]byte(k)); got != want {
			t.Fatalf("key %d %q: slot %d, want %d", i, k, got, want)
		}
	}
	for i, n := range []string{"set", "set", "SET", "get", "nosuch", "get", strings.Repeat("x", 40), "get", "Get", ""} {
		if got, want := c.lookupCmd([]byte(n)), c.s.table.lookup([]byte(n)); got != want {
			t.Fatalf("name %d %q: %v, want %v", i, n, got, want)
		}
	}
}
