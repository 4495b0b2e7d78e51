package storage

import "unsafe"

// Helpers for the generic key commands (KEYS, SCAN, OBJECT).

// ObjectPeek returns key's value as Get does, but without counting an access for LRU:
// for introspection (OBJECT REFCOUNT, DEBUG OBJECT) that must not change what OBJECT
// IDLETIME reports. The string bytes alias the keyspace (see Get). Caller holds the
// stripe.
func (db *DB) ObjectPeek(slot int, key []byte) (str []byte, v Value, ok bool) {
	en := db.find(slot, key)
	if en == nil {
		return nil, nil, false
	}
	if en.obj != nil {
		return nil, en.obj.v, true
	}
	s := en.strval()
	return unsafe.Slice(unsafe.StringData(s), len(s)), nil, true
}

// ScanSlotN visits whole buckets of the cursor's slot table, in the reverse-binary
// order that survives resizes, until fn has been given at least n live keys or the table
// is done; it returns the next cursor (within the slot, the next slot's start, or 0 after
// the last slot) and the number of keys fn got. fn gets each key (valid only during the
// call) and its type. Keys expired at now (Unix ms: the command's time, Engine.Now,
// read once for a whole walk) are skipped. Caller holds the stripe of c's slot.
func (db *DB) ScanSlotN(c Cursor, n int, now int64, fn func(key []byte, t Type)) (Cursor, int) {
	slot := c.Slot()
	t := &db.data().slots[slot]
	got := 0
	visit := func(en *entry) {
		if en.expire != 0 && en.expire <= now {
			return
		}
		got++
		k := en.key()
		fn(unsafe.Slice(unsafe.StringData(k), len(k)), en.typ())
	}
	for v := uint64(c) >> 14; ; {
		if v = t.scan(v, visit); v == 0 {
			break
		}
		if got >= n {
			return Cursor(v<<14 | uint64(slot)), got
		}
	}
	if slot+1 == SlotCount {
		return 0, got
	}
	return Cursor(slot + 1), got
}

// SlotKeysFrom gives fn up to n live keys of the cursor's slot (each valid only during
// the call), visiting whole buckets in the same order as ScanSlotN but starting at the
// cursor's bucket and going round the table at most once, so it gets fewer than n only
// when the slot holds fewer. It returns where the next call should start: a caller
// that takes keys out of the slot as it goes (CLUSTER GETKEYSINSLOT, then MIGRATE)
// does not walk the buckets it emptied again on every call. A cursor from before a
// resize is still a valid start. Keys expired at now are skipped. Caller holds the
// slot's stripe.
func (db *DB) SlotKeysFrom(c Cursor, n int, now int64, fn func(key []byte)) Cursor {
	slot := c.Slot()
	t := &db.data().slots[slot]
	if t.count == 0 || n <= 0 {
		return Cursor(slot)
	}
	got := 0
	visit := func(en *entry) {
		if got >= n || en.expire != 0 && en.expire <= now {
			return
		}
		got++
		k := en.key()
		fn(unsafe.Slice(unsafe.StringData(k), len(k)))
	}
	// The buckets in scan order form a cycle (the last one's successor is 0): from
	// any bucket, len(buckets) steps visit each once.
	start := uint64(c) >> 14 & uint64(len(t.buckets)-1)
	v := start
	for range len(t.buckets) {
		v = t.scan(v, visit)
		if got >= n {
			break
		}
	}
	return Cursor(v<<14 | uint64(slot))
}

// EachInSlot calls fn for every key of slot not expired at now (Unix ms): the key, its
// value (str for a plain string, else v), its expire (0 = none) and its access data,
// all valid only during the call; the access data only when access is set (it costs a
// clock reading per key). Snapshots (SAVE) use it. Caller holds the slot's stripe.
func (db *DB) EachInSlot(slot int, now int64, access bool, fn func(key, str []byte, v Value, expire int64, acc Access)) {
	t := &db.data().slots[slot]
	visit := func(en *entry) {
		if en.expire != 0 && en.expire <= now {
			return
		}
		k := en.key()
		key := unsafe.Slice(unsafe.StringData(k), len(k))
		var acc Access
		if access {
			acc = Access{Idle: db.idleOf(en), Freq: int64(db.e.lfuDecay(en.lru & lruMask))}
		}
		if en.obj != nil {
			fn(key, nil, en.obj.v, en.expire, acc)
			return
		}
		s := en.strval()
		fn(key, unsafe.Slice(unsafe.StringData(s), len(s)), nil, en.expire, acc)
	}
	for v := uint64(0); ; {
		if v = t.scan(v, visit); v == 0 {
			break
		}
	}
}

// SlotMemory is the estimated bytes slot's keys and values take (what the keyspace's
// memory total counts for them). Caller holds the slot's stripe.
func (db *DB) SlotMemory(slot int) int64 {
	t := &db.data().slots[slot]
	var n int64
	for v := uint64(0); ; {
		if v = t.scan(v, func(en *entry) { n += en.memSize() }); v == 0 {
			return n
		}
	}
}
