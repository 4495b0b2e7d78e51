package aof

import (
	"math"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// The commands that recreate a dataset: an AOF base file without an RDB preamble
// (aof-use-rdb-preamble no), as Redis's rewriteAppendOnlyFileRio writes it.

// itemsPerCmd is how many elements one RPUSH/SADD/ZADD/HMSET carries
// (AOF_REWRITE_ITEMS_PER_CMD).
const itemsPerCmd = 64

// AppendFunctions appends FUNCTION LOAD for each library code.
func AppendFunctions(b []byte, codes []string) []byte {
	for _, code := range codes {
		b = AppendCommand(b, []byte("FUNCTION"), []byte("LOAD"), []byte(code))
	}
	return b
}

// AppendSlot appends the commands that recreate the keys of one slot, in every
// database that has keys in it (each database's commands after a SELECT); keys
// expired at now are left out. The caller holds the slot's stripe.
func AppendSlot(b []byte, e *storage.Engine, slot int, now int64) []byte {
	for i := range e.NumDBs() {
		db := e.DB(i)
		if db.SlotSize(slot) == 0 {
			continue
		}
		b = AppendCommand(b, []byte("SELECT"), strconv.AppendInt(nil, int64(i), 10))
		db.EachInSlot(slot, now, false, func(key, str []byte, v storage.Value, expire int64, _ storage.Access) {
			b = AppendKey(b, key, str, v, expire)
		})
	}
	return b
}

// batcher builds commands of the form NAME key item… with at most itemsPerCmd items
// (an item being one or more arguments, copied: iterators may reuse their buffers).
type batcher struct {
	name, key []byte
	args      [][]byte
	items     int
	b         []byte
}

func (bt *batcher) add(item ...[]byte) {
	if bt.items == itemsPerCmd {
		bt.flush()
	}
	if bt.items == 0 {
		bt.args = append(bt.args[:0], bt.name, bt.key)
	}
	for _, a := range item {
		bt.args = append(bt.args, append([]byte(nil), a...)) // items may share a buffer
	}
	bt.items++
}

func (bt *batcher) flush() []byte {
	if bt.items > 0 {
		bt.b = AppendCommand(bt.b, bt.args...)
		bt.items = 0
	}
	return bt.b
}

func appendKey(b, key, str []byte, v storage.Value) []byte {
	switch v := v.(type) {
	case nil:
		return AppendCommand(b, []byte("SET"), key, str)
	case *storage.RawString:
		return AppendCommand(b, []byte("SET"), key, v.B)
	case *storage.List:
		bt := &batcher{name: []byte("RPUSH"), key: key, b: b}
		v.Each(func(e []byte) bool { bt.add(e); return true })
		return bt.flush()
	case *storage.Set:
		bt := &batcher{name: []byte("SADD"), key: key, b: b}
		v.Each(func(m []byte) bool { bt.add(m); return true })
		return bt.flush()
	case *storage.ZSet:
		bt := &batcher{name: []byte("ZADD"), key: key, b: b}
		v.Range(0, v.Len()-1, false, func(m []byte, score float64) bool {
			bt.add(formatScore(score), m)
			return true
		})
		return bt.flush()
	case *storage.Hash:
		bt := &batcher{name: []byte("HMSET"), key: key, b: b}
		v.Each(func(f, val []byte) bool { bt.add(f, val); return true })
		return bt.flush()
	case *storage.Stream:
		return appendStream(b, key, v)
	}
	return b
}

// formatScore writes a score so that it parses back to the same double.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}

// appendStream recreates a stream as Redis's rewriteStreamObject: its entries, its
// last ID and counters (XSETID), then each group (XGROUP CREATE), its consumers (XGROUP
// CREATECONSUMER) and pending entries (XCLAIM … JUSTID FORCE). As with Redis, a pending
// entry whose stream entry was deleted cannot be recreated by commands: XCLAIM drops it.
func appendStream(b, key []byte, s *storage.Stream) []byte {
	id := func(x storage.StreamID) []byte { return x.Append(nil) }
	if s.Len() == 0 {
		// An empty stream still exists: create it with an entry trimmed away at once.
		b = AppendCommand(b, []byte("XADD"), key, []byte("MAXLEN"), []byte("0"), id(s.LastID), []byte("x"), []byte("y"))
	} else {
		s.Range(storage.StreamID{}, storage.MaxStreamID, false, func(eid storage.StreamID, fv [][]byte) bool {
			args := append([][]byte{[]byte("XADD"), key, id(eid)}, fv...)
			b = AppendCommand(b, args...)
			return true
		})
	}
	b = AppendCommand(b, []byte("XSETID"), key, id(s.LastID),
		[]byte("ENTRIESADDED"), strconv.AppendInt(nil, s.EntriesAdded, 10),
		[]byte("MAXDELETEDID"), id(s.MaxDeletedID))
	for _, name := range s.GroupNames() {
		g := s.Group(name)
		group := []byte(name)
		b = AppendCommand(b, []byte("XGROUP"), []byte("CREATE"), key, group, id(g.LastID),
			[]byte("ENTRIESREAD"), strconv.AppendInt(nil, g.EntriesRead, 10))
		// Every consumer first (Redis names only those holding no pending entry, and so
		// loses one whose entries were all deleted from the stream since).
		for _, cn := range g.ConsumerNames() {
			b = AppendCommand(b, []byte("XGROUP"), []byte("CREATECONSUMER"), key, group, []byte(cn))
		}
		g.AscendPending(storage.StreamID{}, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
			b = AppendCommand(b, []byte("XCLAIM"), key, group, []byte(p.Consumer.Name), []byte("0"), id(p.ID),
				[]byte("TIME"), strconv.AppendInt(nil, p.DeliveryTime, 10),
				[]byte("RETRYCOUNT"), strconv.AppendInt(nil, p.DeliveryCount, 10),
				[]byte("JUSTID"), []byte("FORCE"))
			return true
		})
	}
	return b
}

// bigItems is the element count above which a collection is big: Big says so, and a
// snapshot may copy it in parts (AppendKeyPart) rather than in one go.
const bigItems = 1024

// Big reports whether v is a collection worth copying in parts: a list, set, sorted
// set or hash of more than bigItems elements. (A stream is copied whole.)
func Big(v storage.Value) bool {
	switch v := v.(type) {
	case *storage.List:
		return v.Len() > bigItems
	case *storage.Set:
		return v.Len() > bigItems
	case *storage.ZSet:
		return v.Len() > bigItems
	case *storage.Hash:
		return v.Len() > bigItems
	}
	return false
}

// AppendKey appends the commands recreating one key (str for a plain string, else
// v) and its expire (Unix ms, 0: none).
func AppendKey(b, key, str []byte, v storage.Value, expire int64) []byte {
	b = appendKey(b, key, str, v)
	if expire != 0 {
		b = AppendCommand(b, []byte("PEXPIREAT"), key, strconv.AppendInt(nil, expire, 10))
	}
	return b
}

// KeyCursor is where AppendKeyPart stands in a key's value.
type KeyCursor struct {
	pos     uint64 // list index, sorted-set rank, or set/hash scan cursor
	started bool
	head    bool // the key's name and type are in the digest
}

// AppendKeyPart appends commands recreating the next part of a key's value (about n
// elements), from cur on, and reports whether the whole value and its expire were
// appended; it adds what it appended to dig (storage.KeyDigest's parts). The value
// must not change between calls (its scan order is relied on); values Big does not
// call big are appended whole.
func AppendKeyPart(b, key, str []byte, v storage.Value, expire int64, cur *KeyCursor, n int, dig *storage.Digest) ([]byte, bool) {
	done := false
	if !cur.head {
		switch v.(type) {
		case *storage.List, *storage.ZSet, *storage.Set, *storage.Hash:
			dig.AddKey(key, str, v)
			cur.head = true
		}
	}
	switch v := v.(type) {
	case *storage.List:
		bt := &batcher{name: []byte("RPUSH"), key: key, b: b}
		i := cur.pos
		v.Range(int(cur.pos), min(int(cur.pos)+n, v.Len())-1, func(e []byte) bool {
			bt.add(e)
			dig.AddElem(key, i, e, nil)
			i++
			return true
		})
		cur.pos += uint64(n)
		b, done = bt.flush(), cur.pos >= uint64(v.Len())
	case *storage.ZSet:
		bt := &batcher{name: []byte("ZADD"), key: key, b: b}
		i := cur.pos
		v.Range(int(cur.pos), min(int(cur.pos)+n, v.Len())-1, false, func(m []byte, score float64) bool {
			bt.add(formatScore(score), m)
			dig.AddElem(key, i, m, storage.ZScore(score))
			i++
			return true
		})
		cur.pos += uint64(n)
		b, done = bt.flush(), cur.pos >= uint64(v.Len())
	case *storage.Set:
		bt := &batcher{name: []byte("SADD"), key: key, b: b}
		for got := 0; got < n && !(cur.started && cur.pos == 0); {
			cur.pos, cur.started = v.Scan(cur.pos, func(m []byte) {
				bt.add(m)
				dig.AddElem(key, 0, m, nil)
				got++
			}), true
		}
		b, done = bt.flush(), cur.pos == 0
	case *storage.Hash:
		bt := &batcher{name: []byte("HMSET"), key: key, b: b}
		for got := 0; got < n && !(cur.started && cur.pos == 0); {
			cur.pos, cur.started = v.Scan(cur.pos, func(f, val []byte) {
				bt.add(f, val)
				dig.AddElem(key, 0, f, val)
				got++
			}), true
		}
		b, done = bt.flush(), cur.pos == 0
	default:
		b, done = appendKey(b, key, str, v), true
		dig.Xor(storage.KeyDigest(key, str, v))
	}
	if done && expire != 0 {
		b = AppendCommand(b, []byte("PEXPIREAT"), key, strconv.AppendInt(nil, expire, 10))
	}
	return b, done
}
