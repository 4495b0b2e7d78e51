package node

import (
	"bytes"
	"fmt"
	"testing"
)

func TestBusMessages(t *testing.T) {
	var b []byte
	var want []string
	for i := range 1000 {
		kind := kindChannel
		if i%3 == 0 {
			kind = kindShard
		}
		ch, msg := fmt.Sprintf("ch%d", i), bytes.Repeat([]byte{'m'}, i)
		b = appendBusMessage(b, kind, []byte(ch), msg)
		want = append(want, fmt.Sprintf("%d %s %d", kind, ch, len(msg)))
	}
	// Cut into batches of at most 64 KiB of whole messages, decoded in order.
	var got []string
	for rest := b; len(rest) > 0; {
		n := busBatchCut(rest, 64<<10)
		if n > 64<<10 {
			t.Fatalf("a batch of %d bytes", n)
		}
		if err := decodeBusMessages(rest[:n], func(kind int, ch, msg []byte) {
			got = append(got, fmt.Sprintf("%d %s %d", kind, ch, len(msg)))
		}); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded %d messages, want %d", len(got), len(want))
	}
	// One message larger than the limit is a batch of its own.
	big := appendBusMessage(nil, kindChannel, []byte("c"), make([]byte, 100))
	if n := busBatchCut(append(big, big...), 10); n != len(big) {
		t.Errorf("cut of oversized messages = %d, want %d", n, len(big))
	}
}

// FuzzBusMessages: any payload decodes without panicking, and what decodes encodes
// back to the same bytes.
func FuzzBusMessages(f *testing.F) {
	f.Add(appendBusMessage(appendBusMessage(nil, kindChannel, []byte("news"), []byte("hi")), kindShard, []byte("{a}"), nil))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{7})
	f.Fuzz(func(t *testing.T, b []byte) {
		var again []byte
		err := decodeBusMessages(b, func(kind int, ch, msg []byte) {
			again = appendBusMessage(again, kind, ch, msg)
		})
		if err == nil && !bytes.Equal(again, b) {
			// Only non-minimal varints may differ; lengths must agree.
			var n int
			decodeBusMessages(again, func(int, []byte, []byte) { n++ })
			var m int
			decodeBusMessages(b, func(int, []byte, []byte) { m++ })
			if n != m {
				t.Fatalf("%q decodes to %d messages, re-encoded to %d", b, m, n)
			}
		}
	})
}
