package slots

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
)

// Node is one data node as the cluster knows it.
type Node struct {
	ID       string `json:"id"`                 // 40 hex characters (CLUSTER MYID)
	IP       string `json:"ip"`                 // announced address (cluster-announce-ip, or the node's own)
	Port     int    `json:"port"`               // client port (plain TCP; cluster-announce-port)
	TLSPort  int    `json:"tls_port,omitempty"` // client TLS port, 0 when none
	BusPort  int    `json:"bus_port"`           // cluster bus (gossip) port (cluster-announce-bus-port)
	Hostname string `json:"hostname,omitempty"` // cluster-announce-hostname, "" when none
}

// Shard is a primary, its replicas and the slots they serve.
type Shard struct {
	ID       string   // 40 hex characters (CLUSTER MYSHARDID)
	Primary  string   // node ID; "" while the shard has none
	Replicas []string // node IDs
	Slots    Ranges
	// Since is the epoch at which Primary became the shard's primary (the shard's
	// creation or the last failover); 0 when not known (topologies from before).
	Since uint64
}

// Migration is a slot moving from one shard's primary to another node: the source
// answers ASK for keys it no longer has (Redis's MIGRATING), the target serves ASKING
// clients (IMPORTING).
type Migration struct {
	Slot   int    `json:"slot"`
	Source string `json:"source"` // node ID of the slot's owner
	Target string `json:"target"` // node ID of the node receiving it
}

// Topology is the cluster's layout at one configuration epoch: nodes, shards with
// their slots, and slots being migrated. It is immutable once built (New), so it is
// shared between goroutines freely; a change makes a new one with a higher epoch.
type Topology struct {
	epoch      uint64
	nodes      map[string]Node
	shards     []Shard // sorted by ID
	owner      [Count]int16
	shardOf    map[string]int // node ID → index in shards
	migrations map[int]Migration
	moves      []Move                 // by ID (move.go)
	ended      []Move                 // the last moves that ended, oldest first, with their final phase
	covered    bool                   // every slot has an owner with a primary
	wire       atomic.Pointer[[]byte] // Encode's result, made on its first call
}

// New builds a topology and checks it: node IDs unique and known to their shards, every
// node in at most one shard, every slot owned by at most one shard, migrations of owned
// slots from their owner's primary to another known node.
func New(epoch uint64, nodes []Node, shards []Shard, migrations []Migration) (*Topology, error) {
	t := &Topology{epoch: epoch, nodes: make(map[string]Node, len(nodes)), shardOf: map[string]int{},
		migrations: make(map[int]Migration, len(migrations))}
	for _, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("a node without an ID")
		}
		if _, dup := t.nodes[n.ID]; dup {
			return nil, fmt.Errorf("node %s listed twice", n.ID)
		}
		t.nodes[n.ID] = n
	}
	t.shards = make([]Shard, len(shards))
	for i, s := range shards {
		s.Replicas = slices.Clone(s.Replicas)
		s.Slots = slices.Clone(s.Slots)
		t.shards[i] = s
	}
	slices.SortFunc(t.shards, func(a, b Shard) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	for i := range t.owner {
		t.owner[i] = -1
	}
	for i, s := range t.shards {
		if i > 0 && t.shards[i-1].ID == s.ID {
			return nil, fmt.Errorf("shard %s listed twice", s.ID)
		}
		members := s.Replicas
		if s.Primary != "" {
			members = append([]string{s.Primary}, members...)
		}
		for _, id := range members {
			if _, ok := t.nodes[id]; !ok {
				return nil, fmt.Errorf("shard %s names unknown node %s", s.ID, id)
			}
			if other, ok := t.shardOf[id]; ok {
				return nil, fmt.Errorf("node %s is in shards %s and %s", id, t.shards[other].ID, s.ID)
			}
			t.shardOf[id] = i
		}
		for _, r := range s.Slots {
			if r.Start < 0 || r.End >= Count || r.End < r.Start {
				return nil, fmt.Errorf("shard %s: invalid slot range %v", s.ID, r)
			}
			for slot := r.Start; slot <= r.End; slot++ {
				if o := t.owner[slot]; o >= 0 {
					return nil, fmt.Errorf("slot %d owned by shards %s and %s", slot, t.shards[o].ID, s.ID)
				}
				t.owner[slot] = int16(i)
			}
		}
	}
	for _, m := range migrations {
		if m.Slot < 0 || m.Slot >= Count {
			return nil, fmt.Errorf("migration of invalid slot %d", m.Slot)
		}
		if _, dup := t.migrations[m.Slot]; dup {
			return nil, fmt.Errorf("slot %d migrating twice", m.Slot)
		}
		o := t.owner[m.Slot]
		if o < 0 || t.shards[o].Primary != m.Source {
			return nil, fmt.Errorf("slot %d migrates from %s, which is not its owner's primary", m.Slot, m.Source)
		}
		if _, ok := t.nodes[m.Target]; !ok || m.Target == m.Source {
			return nil, fmt.Errorf("slot %d migrates to %s, not another known node", m.Slot, m.Target)
		}
		t.migrations[m.Slot] = m
	}
	t.covered = true
	for _, o := range t.owner {
		if o < 0 || t.shards[o].Primary == "" {
			t.covered = false
			break
		}
	}
	return t, nil
}

// Epoch is the configuration epoch the topology was committed at.
func (t *Topology) Epoch() uint64 { return t.epoch }

// Node returns a node by ID.
func (t *Topology) Node(id string) (Node, bool) {
	n, ok := t.nodes[id]
	return n, ok
}

// Nodes returns every node, sorted by ID.
func (t *Topology) Nodes() []Node {
	out := make([]Node, 0, len(t.nodes))
	for _, n := range t.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b Node) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// Shards returns the shards, sorted by ID. The caller must not change them.
func (t *Topology) Shards() []Shard { return t.shards }

// ShardOf returns the shard a node belongs to.
func (t *Topology) ShardOf(id string) (Shard, bool) {
	i, ok := t.shardOf[id]
	if !ok {
		return Shard{}, false
	}
	return t.shards[i], true
}

// Owner returns the shard that owns slot.
func (t *Topology) Owner(slot int) (Shard, bool) {
	o := t.owner[slot]
	if o < 0 {
		return Shard{}, false
	}
	return t.shards[o], true
}

// Migration returns the migration of slot, if one is under way.
func (t *Topology) Migration(slot int) (Migration, bool) {
	m, ok := t.migrations[slot]
	return m, ok
}

// Migrations returns the migrations under way, by slot.
func (t *Topology) Migrations() []Migration {
	if len(t.migrations) == 0 {
		return nil
	}
	out := make([]Migration, 0, len(t.migrations))
	for _, m := range t.migrations {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return cmp.Compare(a.Slot, b.Slot) })
	return out
}

// Covered reports whether every slot is owned by a shard that has a primary
// (cluster-require-full-coverage).
func (t *Topology) Covered() bool { return t.covered }
