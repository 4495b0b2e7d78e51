// Package failover is the sentinel role: the Raft group that is the single source of
// truth for the cluster's topology. Its replicated state machine (FSM) holds the
// current slots.Topology; every change of ownership — a node or shard added, slots
// assigned or moved, a new primary — is one Raft log entry, and applying it assigns
// the next configuration epoch. Failure detection, promotion and fencing (the leader
// loop) come on top of it.
package failover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/shoal-db/shoal/slots"
)

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
)

// Change is one topology change: an op and the fields it uses.
type Change struct {
	Op       Op         `json:"-"`
	Node     slots.Node `json:"node,omitzero"`
	NodeID   string     `json:"node_id,omitempty"`
	Shard    string     `json:"shard,omitempty"`
	Primary  string     `json:"primary,omitempty"`
	Replicas []string   `json:"replicas,omitempty"`
	Slots    string     `json:"slots,omitempty"` // "a-b c", as slots.ParseRanges reads
	To       string     `json:"to,omitempty"`
}

// Encode is the change's log entry: the op byte, then the fields as JSON.
func (c Change) Encode() []byte {
	body, err := json.Marshal(c)
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return append([]byte{byte(c.Op)}, body...)
}

// decodeChange reads a log entry. Entries come only from this code through Raft, so a
// malformed one means a corrupt log or a version that writes ops this one does not
// know: applying past it would fork the state, and the FSM panics instead.
func decodeChange(b []byte) Change {
	if len(b) == 0 {
		panic("failover: empty log entry")
	}
	var c Change
	if err := json.Unmarshal(b[1:], &c); err != nil {
		panic(fmt.Sprintf("failover: undecodable log entry (op %d): %v", b[0], err))
	}
	c.Op = Op(b[0])
	if c.Op < OpAddNode || c.Op > OpDropSlots {
		panic(fmt.Sprintf("failover: unknown op %d in the log", b[0]))
	}
	return c
}

// Result is what applying a change answers its proposer: the new epoch, or why the
// change was refused (the topology is then unchanged).
type Result struct {
	Epoch uint64
	Err   error
}

// FSM is the Raft state machine: the current topology. Apply, Snapshot and Restore
// are called by Raft; Topology by anyone.
type FSM struct {
	mu  sync.RWMutex
	top *slots.Topology
	// OnChange, if set, is called after each applied change with the new topology
	// (to broadcast it). It must not block.
	OnChange func(*slots.Topology)
}

// NewFSM returns an FSM holding the empty topology at epoch 0.
func NewFSM() *FSM {
	top, err := slots.New(0, nil, nil, nil)
	if err != nil {
		panic(err)
	}
	return &FSM{top: top}
}

// Topology is the current topology.
func (f *FSM) Topology() *slots.Topology {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.top
}

// Apply applies one log entry and returns a Result.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return Result{Epoch: f.Topology().Epoch()}
	}
	c := decodeChange(l.Data)
	f.mu.Lock()
	next, err := apply(f.top, c)
	if err == nil {
		f.top = next
	}
	top := f.top
	f.mu.Unlock()
	if err != nil {
		return Result{Epoch: top.Epoch(), Err: err}
	}
	if f.OnChange != nil {
		f.OnChange(top)
	}
	return Result{Epoch: top.Epoch()}
}

// apply returns the topology after c, at the next epoch, or why c does not apply.
// It reads nothing but cur and c: every member computes the same result.
func apply(cur *slots.Topology, c Change) (*slots.Topology, error) {
	nodes := cur.Nodes()
	shards := slices.Clone(cur.Shards())
	migrations := cur.Migrations()
	shard := func(id string) (int, error) {
		for i, s := range shards {
			if s.ID == id {
				return i, nil
			}
		}
		return -1, fmt.Errorf("no shard %s", id)
	}
	ranges := func() (slots.Ranges, error) {
		rs, err := slots.ParseRanges(c.Slots)
		if err == nil && rs.Len() == 0 {
			err = errors.New("no slots given")
		}
		return rs, err
	}
	switch c.Op {
	case OpAddNode:
		nodes = append(nodes, c.Node)
	case OpRemoveNode:
		if _, inShard := cur.ShardOf(c.NodeID); inShard {
			return nil, fmt.Errorf("node %s is still in a shard", c.NodeID)
		}
		i := slices.IndexFunc(nodes, func(n slots.Node) bool { return n.ID == c.NodeID })
		if i < 0 {
			return nil, fmt.Errorf("no node %s", c.NodeID)
		}
		nodes = slices.Delete(nodes, i, i+1)
	case OpAddShard:
		shards = append(shards, slots.Shard{ID: c.Shard, Primary: c.Primary, Replicas: c.Replicas})
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
		migrations = slices.DeleteFunc(migrations, func(m slots.Migration) bool { return rs.Contains(m.Slot) })
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
		shards[i].Primary, shards[i].Replicas = c.NodeID, replicas
		// Migrations from the old primary cannot continue from the new one.
		migrations = slices.DeleteFunc(migrations, func(m slots.Migration) bool { return m.Source == s.Primary })
	default:
		panic(fmt.Sprintf("failover: op %d has no apply", c.Op))
	}
	return slots.New(cur.Epoch()+1, nodes, shards, migrations)
}

// Snapshot captures the topology (Raft persists it through Persist).
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return snapshot{f.Topology().Encode()}, nil
}

// Restore replaces the topology with a snapshot's.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return err
	}
	top, err := slots.Decode(b)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.top = top
	f.mu.Unlock()
	if f.OnChange != nil {
		f.OnChange(top)
	}
	return nil
}

type snapshot struct{ data []byte }

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshot) Release() {}
