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
	"strings"
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
	// done remembers the results of the last maxRequests requests (Change.Req), in
	// the order they were applied, so that a request sent again gets its first result
	// instead of being applied twice. It is part of the state (snapshots carry it).
	done  map[string]Result
	order []string
	// The standalone groups (groups.go) and the count of their failovers (the
	// config-epoch of the last).
	groups     map[string]*Group
	groupEpoch uint64
	// OnChange, if set, is called after each applied change with the new topology
	// (to broadcast it), OnGroups after each group change with the groups. They must
	// not block.
	OnChange func(*slots.Topology)
	OnGroups func([]Group)
}

// NewFSM returns an FSM holding the empty topology at epoch 0.
func NewFSM() *FSM {
	top, err := slots.New(0, nil, nil, nil)
	if err != nil {
		panic(err)
	}
	return &FSM{top: top, done: map[string]Result{}, groups: map[string]*Group{}}
}

// maxRequests is how many request IDs the FSM remembers: far more than can be in
// flight, and a proposer retries within seconds.
const maxRequests = 4096

// remember records the result of request req. f.mu is held.
func (f *FSM) remember(req string, r Result) {
	if req == "" {
		return
	}
	f.done[req] = r
	f.order = append(f.order, req)
	if len(f.order) > maxRequests {
		delete(f.done, f.order[0])
		f.order = f.order[1:]
	}
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
	if len(l.Data) > 0 && l.Data[0] >= groupOpBase {
		f.mu.Lock()
		req, r := f.applyGroup(l.Data)
		f.remember(req, r)
		f.mu.Unlock()
		if r.Err == nil && f.OnGroups != nil {
			f.OnGroups(f.Groups())
		}
		return r
	}
	c := decodeChange(l.Data)
	f.mu.Lock()
	if r, dup := f.done[c.Req]; dup && c.Req != "" {
		f.mu.Unlock()
		return r
	}
	next, err := f.top.Apply(c)
	if err == nil {
		f.top = next
	}
	top := f.top
	f.remember(c.Req, Result{Epoch: top.Epoch(), Err: err})
	f.mu.Unlock()
	if err != nil {
		return Result{Epoch: top.Epoch(), Err: err}
	}
	if f.OnChange != nil {
		f.OnChange(top)
	}
	return Result{Epoch: top.Epoch()}
}

// The snapshot: the topology and the remembered requests, as JSON. (A snapshot that
// is a bare topology, as the first versions wrote, restores with no requests.)
type snapshotData struct {
	Version  int             `json:"v"`
	Topology json.RawMessage `json:"topology"`
	Requests []snapRequest   `json:"requests"`
	// Groups and GroupEpoch came later: a snapshot without them has no groups.
	Groups     []Group `json:"groups,omitempty"`
	GroupEpoch uint64  `json:"group_epoch,omitempty"`
}

type snapRequest struct {
	Req   string `json:"req"`
	Epoch uint64 `json:"epoch"`
	Err   string `json:"err,omitempty"`
}

// Snapshot captures the state (Raft persists it through Persist).
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	d := snapshotData{Version: 2, Topology: f.top.Encode(), Requests: make([]snapRequest, len(f.order)),
		GroupEpoch: f.groupEpoch}
	for _, g := range f.groups {
		d.Groups = append(d.Groups, *g)
	}
	slices.SortFunc(d.Groups, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	for i, req := range f.order {
		r := f.done[req]
		d.Requests[i] = snapRequest{Req: req, Epoch: r.Epoch}
		if r.Err != nil {
			d.Requests[i].Err = r.Err.Error()
		}
	}
	b, err := json.Marshal(d)
	return snapshot{b}, err
}

// Restore replaces the state with a snapshot's.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return err
	}
	var d snapshotData
	if err := json.Unmarshal(b, &d); err != nil || d.Version != 2 {
		d = snapshotData{Topology: b} // a bare topology
	}
	top, err := slots.Decode(d.Topology)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.top = top
	f.done, f.order = map[string]Result{}, nil
	f.groups, f.groupEpoch = map[string]*Group{}, d.GroupEpoch
	for _, g := range d.Groups {
		f.groups[g.Name] = &g
	}
	for _, r := range d.Requests {
		res := Result{Epoch: r.Epoch}
		if r.Err != "" {
			res.Err = errors.New(r.Err)
		}
		f.remember(r.Req, res)
	}
	f.mu.Unlock()
	if f.OnChange != nil {
		f.OnChange(top)
	}
	if f.OnGroups != nil {
		f.OnGroups(f.Groups())
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
