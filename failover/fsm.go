// Package failover is the sentinel role: the Raft group that is the single source of
// truth for the cluster's topology. Its replicated state machine (FSM) holds the
// current slots.Topology; every change of ownership — a node or shard added, slots
// assigned or moved, a new primary — is one Raft log entry, and applying it assigns
// the next configuration epoch. Failure detection, promotion and fencing (the leader
// loop) come on top of it.
package failover

import (
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/shoal-db/shoal/slots"
)

// decodeChange reads a log entry. Entries come only from this code through Raft, so a
// malformed one means a corrupt log or a version that writes ops this one does not
// know: applying past it would fork the state, and the FSM panics instead.
func decodeChange(b []byte) slots.Change {
	if len(b) == 0 {
		panic("failover: empty log entry")
	}
	c, err := slots.DecodeEntry(b)
	if err != nil {
		panic(fmt.Sprintf("failover: %v", err))
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
	next, err := f.top.Apply(c)
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
