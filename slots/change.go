package slots

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Topology changes: what the sentinel group's Raft log holds. Each applied change
// makes the next topology, one epoch higher.

// Op is the kind of a topology change. The catalogue only grows: a value is never
// reused or renumbered, because the log of a running group holds them.
type Op uint8

const (
	OpAddNode     Op = 1 // Node joins the cluster (in no shard yet)
	OpRemoveNode  Op = 2 // NodeID leaves; it must be in no shard
	OpAddShard    Op = 3 // Shard is created with Primary and Replicas
	OpAddReplica  Op = 4 // NodeID becomes a replica of Shard
	OpAssignSlots Op = 5 // Slots, unowned, go to Shard
	OpMoveSlots   Op = 6 // Slots, owned by Shard, go to To (a reshard's hand-off)
	OpSetPrimary  Op = 7 // NodeID, a replica of Shard, becomes its primary (failover); the old primary becomes a replica
	OpDropSlots   Op = 8 // Slots, owned by Shard, become unowned
	// OpSetMigration: the slots in Slots (one for CLUSTER SETSLOT IMPORTING/MIGRATING,
	// a batch for shoal cluster reshard) start (or change) migrating from their
	// owners' primaries to NodeID.
	OpSetMigration Op = 9
	// OpClearMigration: the slots in Slots, every one migrating, no longer are
	// (SETSLOT STABLE).
	OpClearMigration Op = 10
	// OpForgetNode: NodeID leaves the cluster, and its shard if it is in one: a
	// replica simply goes; a primary only with its shard, which must serve no slots
	// and have no replicas left (CLUSTER FORGET, redis-cli --cluster del-node).
	OpForgetNode Op = 11
	// OpSetNodeAddr: Node, listed already under its ID, is now reached at its IP,
	// Port, BusPort and Hostname (a node restarted on a new address: a container or
	// pod given another IP).
	OpSetNodeAddr Op = 12
	// OpBeginMove: shoal's own migration Move (an ID) of Slots from Shard to To begins,
	// preparing; OpMovePhase sets its Phase; OpEndMove ends it with Phase done (the
	// slots are To's from this epoch: the hand-off; refused unless Primary and NodeID,
	// when given, are still the source's and the target's primaries) or rolled-back
	// (they stay).
	OpBeginMove Op = 13
	OpMovePhase Op = 14
	OpEndMove   Op = 15

	opLast = OpEndMove
)

// Change is one topology change: an op and the fields it uses.
type Change struct {
	Op       Op       `json:"op"`
	Node     Node     `json:"node,omitzero"`
	NodeID   string   `json:"node_id,omitempty"`
	Shard    string   `json:"shard,omitempty"`
	Primary  string   `json:"primary,omitempty"`
	Replicas []string `json:"replicas,omitempty"`
	Slots    string   `json:"slots,omitempty"` // "a-b c", as slots.ParseRanges reads
	To       string   `json:"to,omitempty"`
	Move     string   `json:"move,omitempty"`  // a Move's ID
	Phase    string   `json:"phase,omitempty"` // a Move's phase
	// Req, when set, identifies the request that proposed the change: the sentinel
	// group applies a request once, however often it is sent (a proposer that lost
	// the answer sends it again). Apply ignores it.
	Req string `json:"req,omitempty"`
}

// JSON is the change as JSON, its op included (what SENTINEL PROPOSE takes).
func (c Change) JSON() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return b
}

// ParseChange reads a change's JSON; the op must be a known one.
func ParseChange(b []byte) (Change, error) {
	var c Change
	if err := json.Unmarshal(b, &c); err != nil {
		return c, err
	}
	if c.Op < OpAddNode || c.Op > opLast {
		return c, fmt.Errorf("unknown op %d", c.Op)
	}
	return c, nil
}

// Entry is the change as a Raft log entry: the op byte, then the JSON.
func (c Change) Entry() []byte { return append([]byte{byte(c.Op)}, c.JSON()...) }

// DecodeEntry reads a log entry made by Entry.
func DecodeEntry(b []byte) (Change, error) {
	if len(b) == 0 {
		return Change{}, fmt.Errorf("empty log entry")
	}
	c, err := ParseChange(b[1:])
	if err != nil {
		return c, fmt.Errorf("log entry of op %d: %w", b[0], err)
	}
	if byte(c.Op) != b[0] {
		return c, fmt.Errorf("log entry of op %d holds op %d", b[0], c.Op)
	}
	return c, nil
}

// Apply returns the topology after c, at the next epoch, or why c does not apply. It
// reads nothing but t and c, so every member of the sentinel group computes the same.
func (t *Topology) Apply(c Change) (*Topology, error) {
	cur := t
	nodes := cur.Nodes()
	shards := slices.Clone(cur.Shards())
	migrations := cur.Migrations()
	moves, ended := cur.Moves(), cur.EndedMoves()
	shard := func(id string) (int, error) {
		for i, s := range shards {
			if s.ID == id {
				return i, nil
			}
		}
		return -1, fmt.Errorf("no shard %s", id)
	}
	ranges := func() (Ranges, error) {
		rs, err := ParseRanges(c.Slots)
		if err == nil && rs.Len() == 0 {
			err = errors.New("no slots given")
		}
		return rs, err
	}
	switch c.Op {
	case OpAddNode:
		nodes = append(nodes, c.Node)
	case OpSetNodeAddr:
		i := slices.IndexFunc(nodes, func(n Node) bool { return n.ID == c.Node.ID })
		if i < 0 {
			return nil, fmt.Errorf("no node %s", c.Node.ID)
		}
		nodes[i].IP, nodes[i].Port, nodes[i].BusPort, nodes[i].Hostname = c.Node.IP, c.Node.Port, c.Node.BusPort, c.Node.Hostname
	case OpRemoveNode:
		if _, inShard := cur.ShardOf(c.NodeID); inShard {
			return nil, fmt.Errorf("node %s is still in a shard", c.NodeID)
		}
		i := slices.IndexFunc(nodes, func(n Node) bool { return n.ID == c.NodeID })
		if i < 0 {
			return nil, fmt.Errorf("no node %s", c.NodeID)
		}
		nodes = slices.Delete(nodes, i, i+1)
	case OpForgetNode:
		i := slices.IndexFunc(nodes, func(n Node) bool { return n.ID == c.NodeID })
		if i < 0 {
			return nil, fmt.Errorf("no node %s", c.NodeID)
		}
		nodes = slices.Delete(nodes, i, i+1)
		if sh, inShard := cur.ShardOf(c.NodeID); inShard {
			j, _ := shard(sh.ID)
			if sh.Primary == c.NodeID {
				if sh.Slots.Len() > 0 || len(sh.Replicas) > 0 {
					return nil, fmt.Errorf("node %s is the primary of a shard with slots or replicas", c.NodeID)
				}
				shards = slices.Delete(shards, j, j+1)
			} else {
				shards[j].Replicas = slices.DeleteFunc(slices.Clone(sh.Replicas), func(id string) bool { return id == c.NodeID })
			}
		}
		migrations = slices.DeleteFunc(migrations, func(m Migration) bool { return m.Target == c.NodeID })
	case OpAddShard:
		shards = append(shards, Shard{ID: c.Shard, Primary: c.Primary, Replicas: c.Replicas, Since: cur.Epoch() + 1})
	case OpAddReplica:
		i, err := shard(c.Shard)
		if err != nil {
			return nil, err
		}
		shards[i].Replicas = append(slices.Clone(shards[i].Replicas), c.NodeID)
	case OpAssignSlots, OpMoveSlots, OpDropSlots:
		rs, err := ranges()
		if err != nil {
			return nil, err
		}
		i, err := shard(c.Shard)
		if err != nil {
			return nil, err
		}
		if c.Op == OpAssignSlots {
			for _, r := range rs {
				for s := r.Start; s <= r.End; s++ {
					if _, owned := cur.Owner(s); owned {
						return nil, fmt.Errorf("slot %d is already owned", s)
					}
				}
			}
			shards[i].Slots = shards[i].Slots.Union(rs)
			break
		}
		if rs.Minus(shards[i].Slots).Len() != 0 {
			return nil, fmt.Errorf("shard %s does not own every slot of %s", c.Shard, rs)
		}
		shards[i].Slots = shards[i].Slots.Minus(rs)
		if c.Op == OpMoveSlots {
			j, err := shard(c.To)
			if err != nil {
				return nil, err
			}
			shards[j].Slots = shards[j].Slots.Union(rs)
		}
		// A migration of a slot that changed hands is over.
		migrations = slices.DeleteFunc(migrations, func(m Migration) bool { return rs.Contains(m.Slot) })
	case OpSetPrimary:
		i, err := shard(c.Shard)
		if err != nil {
			return nil, err
		}
		s := shards[i]
		k := slices.Index(s.Replicas, c.NodeID)
		if k < 0 {
			return nil, fmt.Errorf("node %s is not a replica of shard %s", c.NodeID, c.Shard)
		}
		replicas := slices.Delete(slices.Clone(s.Replicas), k, k+1)
		if s.Primary != "" {
			replicas = append(replicas, s.Primary)
		}
		shards[i].Primary, shards[i].Replicas, shards[i].Since = c.NodeID, replicas, cur.Epoch()+1
		// Migrations from the old primary cannot continue from the new one.
		migrations = slices.DeleteFunc(migrations, func(m Migration) bool { return m.Source == s.Primary })
	case OpSetMigration, OpClearMigration:
		rs, err := ranges()
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			for slot := r.Start; slot <= r.End; slot++ {
				if _, migrating := cur.Migration(slot); !migrating && c.Op == OpClearMigration {
					return nil, fmt.Errorf("slot %d is not migrating", slot)
				}
				if _, owned := cur.Owner(slot); !owned && c.Op == OpSetMigration {
					return nil, fmt.Errorf("slot %d has no owner", slot)
				}
			}
		}
		migrations = slices.DeleteFunc(migrations, func(m Migration) bool { return rs.Contains(m.Slot) })
		if c.Op == OpClearMigration {
			break
		}
		for _, r := range rs {
			for slot := r.Start; slot <= r.End; slot++ {
				owner, _ := cur.Owner(slot)
				migrations = append(migrations, Migration{Slot: slot, Source: owner.Primary, Target: c.NodeID})
			}
		}
	case OpBeginMove, OpMovePhase, OpEndMove:
		var err error
		if moves, ended, err = applyMove(c, shards, moves, ended); err != nil {
			return nil, err
		}
	default:
		panic(fmt.Sprintf("slots: op %d has no apply", c.Op))
	}
	t, err := New(cur.Epoch()+1, nodes, shards, migrations)
	if err != nil {
		return nil, err
	}
	return t.withMoves(moves, ended)
}
