package node

import (
	"bytes"
	"sync"

	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
)

// moveSnap is a slot move's fork-less snapshot of the moving slots (as of T, when it
// began), as AOF commands. Like a background save's (bgsave.go) it captures a pending
// slot before its first change, but it leaves a slot's big collections (aof.Big) out
// of the capture: they stay deferred, and are copied in parts of partElements by the
// mover with the stripe released in between (copyDeferred), or whole by the first
// write about to change one (the engine's write hook: completeKey). So no writer
// waits for a big key it does not touch, and each key is copied as it was at T.
//
// pending and deferred[slot] are guarded by the slot's stripe; chunks by mu.
type moveSnap struct {
	now      int64 // T, Unix ms: keys expired then are left out
	pending  [storage.SlotCount]bool
	deferred [storage.SlotCount][]*deferredKey
	// Each slot's digest as of T (storage.Digest): of its keys without an expire, and
	// of each key with one apart (keys about to expire are left out of the check).
	digest [storage.SlotCount]storage.Digest
	vol    [storage.SlotCount][]volatileDigest

	mu     sync.Mutex
	chunks []byte
}

// deferredKey is a big key not copied yet, or copied in part up to cur.
type deferredKey struct {
	key    []byte
	expire int64
	cur    aof.KeyCursor
	dig    storage.Digest // of what was copied
}

// volatileDigest is the digest of a key with an expire.
type volatileDigest struct {
	expire int64
	d      storage.Digest
}

// addDigest adds a key's digest to its slot's. The caller holds the slot's stripe.
func (m *moveSnap) addDigest(slot int, expire int64, d storage.Digest) {
	if expire == 0 {
		m.digest[slot].Xor(d)
	} else {
		m.vol[slot] = append(m.vol[slot], volatileDigest{expire, d})
	}
}

// slotDigest is slot's digest as of T without the keys expiring by cutoff (Unix ms).
// The caller holds the slot's stripe.
func (m *moveSnap) slotDigest(slot int, cutoff int64) storage.Digest {
	d := m.digest[slot]
	for _, v := range m.vol[slot] {
		if v.expire > cutoff {
			d.Xor(v.d)
		}
	}
	return d
}

// partElements is how many elements of a big key the mover copies per stripe hold.
const partElements = 1024

// capture serializes slot's keys if it is still pending, deferring its big ones. The
// caller holds its stripe.
func (m *moveSnap) capture(e *storage.Engine, slot int) {
	if !m.pending[slot] {
		return
	}
	m.pending[slot] = false
	var buf []byte
	e.DB(0).EachInSlot(slot, m.now, false, func(key, str []byte, v storage.Value, expire int64, _ storage.Access) {
		if aof.Big(v) {
			m.deferred[slot] = append(m.deferred[slot], &deferredKey{key: bytes.Clone(key), expire: expire})
			return
		}
		buf = aof.AppendKey(buf, key, str, v, expire)
		m.addDigest(slot, expire, storage.KeyDigest(key, str, v))
	})
	m.add(buf)
}

// add appends commands to the chunks waiting to be sent.
func (m *moveSnap) add(b []byte) {
	if len(b) == 0 {
		return
	}
	m.mu.Lock()
	m.chunks = append(m.chunks, b...)
	m.mu.Unlock()
}

// take appends the chunks waiting to buf and empties them.
func (m *moveSnap) take(buf []byte) []byte {
	m.mu.Lock()
	buf = append(buf, m.chunks...)
	m.chunks = m.chunks[:0]
	m.mu.Unlock()
	return buf
}

// completeKey copies the rest of key, if it is deferred, before a write changes it.
// The caller holds slot's stripe (the engine's write hook).
func (m *moveSnap) completeKey(e *storage.Engine, slot int, key []byte) {
	m.capture(e, slot)
	for i, d := range m.deferred[slot] {
		if bytes.Equal(d.key, key) {
			m.copyPart(e, slot, d, -1)
			m.deferred[slot] = append(m.deferred[slot][:i], m.deferred[slot][i+1:]...)
			return
		}
	}
}

// copyPart copies the next n elements of d (all of the rest when n < 0) and reports
// whether d is done. The caller holds slot's stripe.
func (m *moveSnap) copyPart(e *storage.Engine, slot int, d *deferredKey, n int) bool {
	str, v, expire, ok := e.DB(0).Peek(slot, d.key, 0)
	if !ok { // gone (expired): the tail holds its deletion, the check leaves it out
		m.addDigest(slot, d.expire, d.dig)
		return true
	}
	if n < 0 {
		n = int(^uint(0) >> 1)
	}
	b, done := aof.AppendKeyPart(nil, d.key, str, v, expire, &d.cur, n, &d.dig)
	m.add(b)
	if done {
		m.addDigest(slot, d.expire, d.dig)
	}
	return done
}

// copyDeferred copies slot's deferred keys a part at a time, taking the stripe for
// each part; send is called between parts with what is waiting.
func (m *moveSnap) copyDeferred(e *storage.Engine, slot int, send func() error) error {
	for {
		e.LockSlot(slot)
		if len(m.deferred[slot]) == 0 {
			e.UnlockSlot(slot)
			return nil
		}
		d := m.deferred[slot][0]
		if m.copyPart(e, slot, d, partElements) {
			m.deferred[slot] = m.deferred[slot][1:]
		}
		e.UnlockSlot(slot)
		if err := send(); err != nil {
			return err
		}
	}
}
