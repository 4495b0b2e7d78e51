package node

import (
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// shoal's own slot migration, the target side (the source side is move.go).

// importsSlot reports whether top has this node receive slot: a Redis-style
// migration to it, or a move to its shard. A client sent here by MOVED for such a
// slot has seen the hand-off before this node: it catches up rather than bounce the
// client back.
func (s *Server) importsSlot(top *slots.Topology, slot int) bool {
	if m, ok := top.Migration(slot); ok && m.Target == s.cluster.myID {
		return true
	}
	m, ok := top.MoveOf(slot)
	if !ok {
		return false
	}
	sh, ok := top.ShardOf(s.cluster.myID)
	return ok && sh.ID == m.To
}

// cmdClusterSyncslots is CLUSTER SYNCSLOTS move-id slots: the source of a move opens
// its import session. This node must be the primary of the move's target shard; it
// drops whatever it has of the slots (what an earlier attempt left) and lets the
// connection write to them until the hand-off.
func cmdClusterSyncslots(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	id := string(c.args[2])
	find := func() (slots.Move, bool) {
		top := s.clusterView()
		for _, m := range top.Moves() {
			if m.ID == id {
				sh, ok := top.ShardOf(s.cluster.myID)
				return m, ok && sh.ID == m.To && sh.Primary == s.cluster.myID
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
	s.dropMovedSlots(m.Slots)
	c.importing = id
	c.OK()
}

// dropSlotKeys deletes this node's keys in slot (its stripe held), each deletion
// propagated so replicas and the AOF follow.
func (s *Server) dropSlotKeys(db *storage.DB, slot int) {
	var keys [][]byte
	db.EachInSlot(slot, 0, false, func(key, _ []byte, _ storage.Value, _ int64, _ storage.Access) {
		keys = append(keys, append([]byte(nil), key...))
	})
	for _, k := range keys {
		if db.Delete(slot, k) && s.feeding() {
			s.propagateDel(0, k, true)
		}
	}
}
