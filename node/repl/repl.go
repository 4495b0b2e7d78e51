// Package repl holds the protocol pieces of Redis replication that need no server
// state: replication IDs, the backlog of the stream by offset, and the PSYNC decision.
// The node wires them to its propagation step and connections (node/replication.go).
// It imports nothing of shoal's.
package repl

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a fresh replication ID: 40 random hex characters, as Redis's.
func NewID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// Backlog keeps the last bytes of the replication stream, addressed by the stream
// offset of each byte (the first byte of the stream has offset 1, as in Redis), so a
// replica that reconnects can continue from where it stopped. Not safe for concurrent
// use.
//
// Appends gather in a small staging buffer that moves into the ring when it fills (or
// when the held bytes are read): the ring is larger than the caches keep hot, and a
// command's few dozen bytes written straight into it cost a cache miss per line, paid
// at the caller's next atomic operation, where a staged batch streams in whole.
type Backlog struct {
	buf   []byte // ring
	start int    // index in buf of the oldest byte held
	n     int    // bytes held in the ring
	stage []byte // appended after the ring's bytes, not yet moved in (len < cap ≤ len(buf))
	end   int64  // offset of the last byte appended (master_repl_offset)
}

// stageSize bounds a Backlog's staging buffer.
const stageSize = 8 << 10

// NewBacklog returns a backlog of size bytes whose stream is at offset end.
func NewBacklog(size int, end int64) *Backlog {
	size = max(size, 1)
	return &Backlog{buf: make([]byte, size), stage: make([]byte, 0, min(size, stageSize)), end: end}
}

// Append adds p to the stream.
func (b *Backlog) Append(p []byte) {
	b.end += int64(len(p))
	if len(b.stage)+len(p) < cap(b.stage) {
		b.stage = append(b.stage, p...)
		return
	}
	b.flush()
	if len(p) < cap(b.stage) {
		b.stage = append(b.stage, p...)
		return
	}
	b.write(p)
}

// flush moves the staged bytes into the ring.
func (b *Backlog) flush() {
	b.write(b.stage)
	b.stage = b.stage[:0]
}

// write copies p into the ring after its last byte.
func (b *Backlog) write(p []byte) {
	if len(p) >= len(b.buf) {
		copy(b.buf, p[len(p)-len(b.buf):])
		b.start, b.n = 0, len(b.buf)
		return
	}
	w := (b.start + b.n) % len(b.buf)
	k := copy(b.buf[w:], p)
	copy(b.buf, p[k:])
	b.n += len(p)
	if over := b.n - len(b.buf); over > 0 {
		b.start = (b.start + over) % len(b.buf)
		b.n = len(b.buf)
	}
}

// End is the offset of the last byte of the stream (0 before any).
func (b *Backlog) End() int64 { return b.end }

// First is the offset of the oldest byte held (repl_backlog_first_byte_offset).
func (b *Backlog) First() int64 { return b.end - int64(b.Len()) + 1 }

// Len is the number of bytes held (repl_backlog_histlen).
func (b *Backlog) Len() int { return min(b.n+len(b.stage), len(b.buf)) }

// Size is the backlog's capacity.
func (b *Backlog) Size() int { return len(b.buf) }

// Resized returns a backlog of size bytes holding the same stream, as much of its end
// as fits (CONFIG SET repl-backlog-size).
func (b *Backlog) Resized(size int) *Backlog {
	nb := NewBacklog(size, b.First()-1)
	data, _ := b.Since(b.First())
	nb.Append(data)
	return nb
}

// Since returns a copy of the stream from offset off (the next byte a replica that
// has processed off-1 bytes needs) to the end; ok is false when those bytes are no
// longer (or not yet) held.
func (b *Backlog) Since(off int64) (p []byte, ok bool) {
	if off < b.First() || off > b.end+1 {
		return nil, false
	}
	b.flush()
	skip := int(off - b.First())
	p = make([]byte, b.n-skip)
	i := (b.start + skip) % len(b.buf)
	k := copy(p, b.buf[i:min(len(b.buf), i+len(p))])
	copy(p[k:], b.buf)
	return p, true
}
