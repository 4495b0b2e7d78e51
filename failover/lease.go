package failover

import (
	"slices"
	"strings"
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
//
// Membership changes (SENTINEL JOIN, FORGET) move the majorities. A sentinel taken
// out of the group while cut off from it never learns that it was: it still counts
// itself a member of the old group, and its grants must not make a majority with a
// current member's while the current group votes the primary down. So a sentinel
// grants only while it leads the group or heard from its leader lately (within
// Lease, or two Raft heartbeat timeouts if longer: Sentinel.currentFor; the leader
// stops talking to a member once it has appended the configuration without it), and
// votes nobody down for that long plus a Lease after it sees the voters change: by
// then every grant made by a member that dropped out, and every lease counted from
// it, is over. "Lately" can be fooled: a leader's message sent before the member was
// dropped, held by a partition, can arrive after it healed. So a grant also names its
// sentinel and the voters it knows, and a primary counts a lease only when its
// granters make a majority of every voter set they reported (sentinelapi.Lease): a
// forgotten sentinel and one current member are a majority of the old set, not of the
// current one.

// leases is one sentinel's record of grants and fences, by node ID.
type leases struct {
	mu      sync.Mutex
	started time.Time
	granted map[string]time.Time // a lease granted runs until then
	fenced  map[string]fence     // no lease until then (a vote)
	voters  string               // the group's voters last seen (sorted, joined)
	changed time.Time            // when they were first seen (or the start)
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

// observe records the group's voters; a change holds this sentinel's down votes
// (see vote).
func (l *leases) observe(voters []string) {
	key := strings.Join(slices.Sorted(slices.Values(voters)), " ")
	l.mu.Lock()
	defer l.mu.Unlock()
	if key != l.voters {
		l.voters, l.changed = key, time.Now()
	}
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
// (sdown) or not: down only when no lease it granted is running, it has run for at
// least lease (so it forgot no running grant) and seen the group's voters unchanged
// for at least hold (so no lease counted from a grant of a member that dropped out
// still runs). With fence, a down vote also
// refuses the node leases for fenceFor, as the primary it is at epoch.
func (l *leases) vote(id string, epoch uint64, sdown bool, lease, hold, fenceFor time.Duration, fenced bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !sdown || now.Sub(l.started) < lease || now.Sub(l.changed) < hold || now.Before(l.granted[id]) {
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
