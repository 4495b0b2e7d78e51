package node

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// shoal's own slot migration, the target side (the source side is move.go).

// importsSlot reports whether top has this node receive slot: a Redis-style
// migration to it, or a move to its shard. A client sent here by MOVED for such a
// slot has seen the hand-off before this node: it catches up rather than bounce the
// client back.
func (s *Server) importsSlot(top *slots.Topology, slot int) bool {
	if m, ok := top.Migration(slot); ok && m.Target == s.cluster.myID() {
		return true
	}
	m, ok := top.MoveOf(slot)
	if !ok {
		return false
	}
	sh, ok := top.ShardOf(s.cluster.myID())
	return ok && sh.ID == m.To
}

// cmdClusterSyncslots is CLUSTER SYNCSLOTS move-id slots: the source of a move opens
// its import session. This node must be the primary of the move's target shard; it
// drops whatever it has of the slots (what an earlier attempt left) and lets the
// connection write to them until the hand-off. On the session, CLUSTER SYNCSLOTS
// move-id DIGEST cutoff answers the digest of each of the move's slots holding keys
// (leaving out keys expiring by cutoff, Unix ms), as one bulk string
// "shoal-move-digest slot:digest …", for the source to check what it sent.
func cmdClusterSyncslots(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	id := string(c.args[2])
	if len(c.args) == 5 && equalFold(c.args[3], "DIGEST") {
		cutoff, err := strconv.ParseInt(string(c.args[4]), 10, 64)
		if c.importing != id || err != nil {
			c.Err("ERR not the import session of move " + id)
			return
		}
		for _, m := range s.clusterView().Moves() {
			if m.ID == id {
				c.w.BulkString(s.slotDigests(m.Slots, cutoff))
				return
			}
		}
		c.Err("ERR move " + id + " is over")
		return
	}
	if len(c.args) != 4 {
		c.Err(wrongArgs(c.cmd.FullName))
		return
	}
	find := func() (slots.Move, bool) {
		top := s.clusterView()
		for _, m := range top.Moves() {
			if m.ID == id {
				sh, ok := top.ShardOf(s.cluster.myID())
				return m, ok && sh.ID == m.To && sh.Primary == s.cluster.myID()
			}
		}
		return slots.Move{}, false
	}
	m, ok := find()
	if !ok {
		s.syncTopology() // (the gossip may not have brought the move yet)
		m, ok = find()
	}
	if !ok {
		c.Err("ERR no move " + id + " to this node's shard, or this node is not its primary")
		return
	}
	if m.Slots.String() != string(c.args[3]) {
		c.Err("ERR move " + id + " moves slots " + m.Slots.String())
		return
	}
	s.dropMovedSlots(m.Slots, nil)
	c.importing = id
	c.OK()
}

// dropSlotKeys deletes up to n of this node's keys in the cursor's slot (its stripe
// held), each deletion propagated so replicas and the AOF follow, the walk starting at
// the cursor (see storage.SlotKeysFrom); it returns where the next call should start
// and whether keys are left.
func (s *Server) dropSlotKeys(db *storage.DB, from storage.Cursor, n int) (next storage.Cursor, more bool) {
	var keys [][]byte
	next = db.SlotKeysFrom(from, n, 0, func(key []byte) {
		keys = append(keys, append([]byte(nil), key...))
	})
	slot := from.Slot()
	for _, k := range keys {
		if db.Delete(slot, k) && s.feeding() {
			s.propagateDel(0, k, true)
		}
	}
	return next, db.SlotSize(slot) > 0
}

// importing reports whether move id, to this node's shard, is still under way.
func (s *Server) importing(id string) bool {
	top := s.clusterView()
	sh, ok := top.ShardOf(s.cluster.myID())
	if !ok {
		return false
	}
	for _, m := range top.Moves() {
		if m.ID == id {
			return m.To == sh.ID
		}
	}
	return false
}

// dropForeignKeys deletes, on a shard's primary, the keys it holds in slots its shard
// does not own and does not receive (a move or a Redis-style migration to it): what a
// move that did not hand off had sent, or what a primary's replica kept of slots the
// primary handed off before it died — as a Redis node deletes the keys of slots it
// lost. It runs a moment after the topology is adopted, so that a write of an import
// session that passed its check before the move ended is done, and looks again then.
// Each slot is judged again, under its stripe, by the topology current then: the
// look can be held up (behind a snapshot) while a newer topology gives slots back.
func (s *Server) dropForeignKeys() {
	select {
	case <-s.stop:
		return
	case <-time.After(time.Second):
	}
	top := s.clusterView()
	defer func() {
		s.foreignPending.Store(false)
		if s.clusterView().Epoch() > top.Epoch() && s.foreignPending.CompareAndSwap(false, true) {
			s.goTracked(s.dropForeignKeys) // (a topology came while it looked)
		}
	}()
	s.dropForeign(top)
}

// dropForeign deletes the keys foreign to this node by top, each slot judged again
// under its stripe by the topology current then.
func (s *Server) dropForeign(top *slots.Topology) {
	foreign := s.foreignIn(top)
	db := s.eng.DB(0)
	var drop []int
	for slot := range slots.Count {
		if !foreign(slot) {
			continue
		}
		s.eng.LockSlot(slot)
		n := db.SlotSize(slot)
		s.eng.UnlockSlot(slot)
		if n > 0 {
			drop = append(drop, slot)
		}
	}
	if len(drop) == 0 {
		return
	}
	rs := slots.RangesOf(drop...)
	s.log.Noticef("Deleting the keys of slots this shard does not own (%s)", rs)
	seen := top
	s.dropMovedSlots(rs, func(slot int) bool {
		if cur := s.clusterView(); cur != seen {
			seen, foreign = cur, s.foreignIn(cur)
		}
		return foreign(slot)
	})
}

// foreignIn answers, for top, whether a slot's keys are foreign to this node: it is
// its shard's primary and the shard neither owns the slot nor receives it.
func (s *Server) foreignIn(top *slots.Topology) func(slot int) bool {
	sh, ok := top.ShardOf(s.cluster.myID())
	if !ok || sh.Primary != s.cluster.myID() {
		return func(int) bool { return false }
	}
	keep := sh.Slots
	for _, m := range top.Moves() {
		if m.To == sh.ID {
			keep = keep.Union(m.Slots)
		}
	}
	return func(slot int) bool {
		if keep.Contains(slot) {
			return false
		}
		m, ok := top.Migration(slot)
		return !ok || m.Target != s.cluster.myID()
	}
}

// cmdClusterMigrateslots is CLUSTER MIGRATESLOTS SLOTSRANGE start end [start end …]
// NODE node-id [SLOTSRANGE … NODE …] (Valkey 9's form): moves of the given slots,
// which must be this primary's shard's, to the shard of each node named, with shoal's
// own migration. It answers once the moves are committed; they run in the background
// (CLUSTER GETSLOTMIGRATIONS shows them).
func cmdClusterMigrateslots(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	top := s.clusterView()
	mine, ok := top.ShardOf(s.cluster.myID())
	if !ok || mine.Primary != s.cluster.myID() {
		c.Err("ERR only the primary of a shard can move its slots")
		return
	}
	type group struct {
		slots slots.Ranges
		to    string
	}
	var groups []group
	var cur slots.Ranges
	args := c.args[2:]
	for len(args) > 0 {
		switch {
		case equalFold(args[0], "SLOTSRANGE"):
			args = args[1:]
			for len(args) >= 2 && !equalFold(args[0], "NODE") && !equalFold(args[0], "SLOTSRANGE") {
				a, err1 := strconv.Atoi(string(args[0]))
				b, err2 := strconv.Atoi(string(args[1]))
				if err1 != nil || err2 != nil || a < 0 || b < a || b >= slots.Count {
					c.Err("ERR Invalid or out of range slot")
					return
				}
				cur = cur.Union(slots.Ranges{{Start: a, End: b}})
				args = args[2:]
			}
		case equalFold(args[0], "NODE") && len(args) >= 2 && cur.Len() > 0:
			sh, ok := top.ShardOf(string(args[1]))
			if !ok || sh.ID == mine.ID {
				c.Err("ERR Unknown node or a node of this shard " + string(args[1]))
				return
			}
			if cur.Minus(mine.Slots).Len() != 0 {
				c.Err("ERR slots " + cur.Minus(mine.Slots).String() + " are not this shard's")
				return
			}
			groups = append(groups, group{cur, sh.ID})
			cur, args = nil, args[2:]
		default:
			c.Err(errSyntax)
			return
		}
	}
	if len(groups) == 0 || cur.Len() > 0 {
		c.Err(errSyntax)
		return
	}
	for _, g := range groups {
		var id [8]byte
		rand.Read(id[:])
		if err := s.propose(slots.Change{Op: slots.OpBeginMove, Move: hex.EncodeToString(id[:]), Shard: mine.ID, To: g.to,
			Slots: g.slots.String()}); err != nil {
			c.Err(err.Error())
			return
		}
	}
	c.OK()
}

// cmdClusterGetslotmigrations is CLUSTER GETSLOTMIGRATIONS: the moves under way, each
// a map (id, slots, source and target shards, phase), with the progress of the one
// this node sends (keys, keys-sent, bytes-sent, elapsed-ms); then the last ones that
// ended (phase done or rolled-back).
func cmdClusterGetslotmigrations(c *Client) {
	if !c.clusterOn() {
		return
	}
	top := c.s.clusterView()
	moves := append(top.Moves(), top.EndedMoves()...)
	running := c.s.moving.Load()
	c.w.Array(len(moves))
	for _, m := range moves {
		kv := [][2]string{{"id", m.ID}, {"slots", m.Slots.String()}, {"source", m.From}, {"target", m.To}, {"phase", m.Phase}}
		if running != nil && running.move.ID == m.ID {
			kv = append(kv, [2]string{"keys", strconv.FormatInt(running.keys.Load(), 10)},
				[2]string{"keys-sent", strconv.FormatInt(running.keysSent.Load(), 10)},
				[2]string{"bytes-sent", strconv.FormatInt(running.bytesSent.Load(), 10)},
				[2]string{"elapsed-ms", strconv.FormatInt(time.Since(running.start).Milliseconds(), 10)})
		}
		c.w.Map(len(kv))
		for _, p := range kv {
			c.w.BulkString(p[0])
			c.w.BulkString(p[1])
		}
	}
}

// cmdClusterCancelslotmigrations is CLUSTER CANCELSLOTMIGRATIONS: the moves from or to
// this node's shard are rolled back (the slots stay their source's); it answers how
// many.
func cmdClusterCancelslotmigrations(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	top := s.clusterView()
	sh, ok := top.ShardOf(s.cluster.myID())
	n := 0
	for _, m := range top.Moves() {
		if !ok || m.From != sh.ID && m.To != sh.ID {
			continue
		}
		if err := s.propose(slots.Change{Op: slots.OpEndMove, Move: m.ID, Phase: slots.MoveRolledBack}); err != nil {
			c.Err(err.Error())
			return
		}
		n++
	}
	c.w.Int(int64(n))
}

// slotDigests renders the digest of each slot of rs holding keys, leaving out keys
// expiring by cutoff (Unix ms): "shoal-move-digest slot:digest …".
func (s *Server) slotDigests(rs slots.Ranges, cutoff int64) string {
	var b strings.Builder
	b.WriteString("shoal-move-digest")
	db := s.eng.DB(0)
	for _, r := range rs {
		for slot := r.Start; slot <= r.End; slot++ {
			var d storage.Digest
			s.eng.LockSlot(slot)
			db.EachInSlot(slot, 0, false, func(key, str []byte, v storage.Value, expire int64, _ storage.Access) {
				if expire == 0 || expire > cutoff {
					d.Xor(storage.KeyDigest(key, str, v))
				}
			})
			s.eng.UnlockSlot(slot)
			if d != (storage.Digest{}) {
				fmt.Fprintf(&b, " %d:%s", slot, d)
			}
		}
	}
	return b.String()
}

// cmdClusterSlotStats is CLUSTER SLOT-STATS SLOTSRANGE start end (Valkey 8's form):
// for each slot of the range, [slot, {key-count, memory-bytes}] — memory-bytes being
// shoal's estimate of the slot's keys and values (what rebalancing by memory weighs).
func cmdClusterSlotStats(c *Client) {
	if !c.clusterOn() {
		return
	}
	if len(c.args) != 5 || !equalFold(c.args[2], "SLOTSRANGE") {
		c.Err(errSyntax)
		return
	}
	a, err1 := strconv.Atoi(string(c.args[3]))
	b, err2 := strconv.Atoi(string(c.args[4]))
	if err1 != nil || err2 != nil || a < 0 || b >= slots.Count || b < a {
		c.Err("ERR Invalid or out of range slot")
		return
	}
	db := c.s.eng.DB(0)
	c.w.Array(b - a + 1)
	for slot := a; slot <= b; slot++ {
		c.s.eng.LockSlot(slot)
		keys, mem := db.SlotSize(slot), db.SlotMemory(slot)
		c.s.eng.UnlockSlot(slot)
		c.w.Array(2)
		c.w.Int(int64(slot))
		c.w.Map(2)
		c.w.BulkString("key-count")
		c.w.Int(int64(keys))
		c.w.BulkString("memory-bytes")
		c.w.Int(mem)
	}
}
