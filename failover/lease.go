package failover

import (
	"sync"
	"time"
)

// Fencing. A primary accepts writes only while it holds a write lease from a majority
// of the sentinel group: every Lease/4 it asks each sentinel (SENTINEL LEASE), and
// counts its lease from the moment it sent the request, so it always expires on the
// primary before it does on any sentinel that granted it.
//
// A failover needs a majority of "down" votes (SENTINEL IS-MASTER-DOWN-BY-ADDR with
// the leader's ID). A sentinel votes the primary down only when it finds it down
// itself and no lease it granted it is still running, and a vote also fences the
// node: the voter grants it no lease for FenceFor afterwards. Any majority of voters
// shares a member with any majority of granters, so while the old primary may still
// write, no majority votes it down; and once one did, it can gather no new lease, so
// it stays read-only until it learns that it was replaced. The new primary is
// committed through Raft within FenceFor of the votes.
//
// A sentinel that restarted forgot its grants: it votes nobody down during its first
// Lease, by which time every grant it made before is over.

// leases is one sentinel's record of grants and fences, by node ID.
type leases struct {
	mu      sync.Mutex
	started time.Time
	granted map[string]time.Time // a lease granted runs until then
	fenced  map[string]fence     // no lease until then (a vote)
}

// fence is a down vote's effect on a node: no lease until the time, for the
// primaryship current at the epoch of the vote (a node demoted and promoted again
// since is a new primary).
type fence struct {
	until time.Time
	epoch uint64
}

func newLeases() *leases {
	return &leases{started: time.Now(), granted: map[string]time.Time{}, fenced: map[string]fence{}}
}

// grant records a lease of length d for node id, the primary since epoch since,
// unless a vote fenced that primaryship; it reports whether it did.
func (l *leases) grant(id string, since uint64, d time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if f, ok := l.fenced[id]; ok && now.Before(f.until) && since <= f.epoch {
		return false
	}
	l.granted[id] = now.Add(d)
	return true
}

// vote decides this sentinel's "down" vote about node id, which it finds down
// (sdown) or not: down only when no lease it granted is running and it has run for
// at least lease (so it forgot no running grant). With fence, a down vote also
// refuses the node leases for fenceFor, as the primary it is at epoch.
func (l *leases) vote(id string, epoch uint64, sdown bool, lease, fenceFor time.Duration, fenced bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !sdown || now.Sub(l.started) < lease || now.Before(l.granted[id]) {
		return false
	}
	if fenced {
		l.fenced[id] = fence{until: now.Add(fenceFor), epoch: epoch}
	}
	return true
}

// fence refuses node id leases for its primaryship current at epoch, for fenceFor,
// and returns how long the lease last granted to it still runs.
func (l *leases) fence(id string, epoch uint64, fenceFor time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.fenced[id] = fence{until: now.Add(fenceFor), epoch: epoch}
	return max(l.granted[id].Sub(now), 0)
}
