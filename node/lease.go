package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/sentinelapi"
)

// Write leases (cluster mode). A node that the topology makes a shard's primary
// serves writes to its slots only while it holds a lease from a majority of the
// sentinel group (failover/lease.go has the other side): it renews it every quarter
// of its length, and counts it from when it sent the request, so the lease always
// ends here before it ends on any sentinel that granted it. Without a lease the
// node's slots act as if the cluster were down: writes are refused with
// -CLUSTERDOWN, reads too unless cluster-allow-reads-when-down is set. Since the
// sentinels promote a replica only once a majority of them saw the old primary's
// leases run out, the old primary has stopped taking writes before the new one
// starts.

// leaseState is the node's write lease.
type leaseState struct {
	// required: the node belongs to a cluster with sentinels (it saw one on the
	// gossip, or its cluster-config-file lists one), so its primaries need leases.
	// A node given topologies directly (tests of the node alone) needs none.
	required atomic.Bool
	until    atomic.Int64 // the lease runs until this time (ns since the server started)
	every    atomic.Int64 // renewal interval (ns)
	held     atomic.Bool  // the last check found a lease (for the lost/acquired log)
	lost     atomic.Int64 // times the lease ran out while the node was a primary
	kick     chan struct{}

	mu        sync.Mutex   // one renewal at a time
	lastStart int64        // when the last renewal started (mono; guarded by mu)
	lastEnd   atomic.Int64 // when the last renewal ended, granted or not (mono)

	addrMu    sync.Mutex
	sentinels map[string]bool // RESP addresses of every sentinel seen on the gossip
}

// mono is the time since the server started, from the monotonic clock.
func (s *Server) mono() int64 { return int64(time.Since(s.start)) }

// needsLease reports whether the node is a shard's primary in the topology it
// follows, in a cluster with sentinels (so its writes need a lease).
func (s *Server) needsLease() bool {
	if !s.lease.required.Load() {
		return false
	}
	top := s.cluster.top.Load()
	if top == nil {
		return false
	}
	sh, ok := top.ShardOf(s.cluster.myID())
	return ok && sh.Primary == s.cluster.myID()
}

// leaseEnded reports whether the node is a primary whose lease has run out, without
// trying to renew it (callers may hold stripes).
func (s *Server) leaseEnded() bool {
	return s.lease.required.Load() && s.mono() >= s.lease.until.Load() && s.needsLease()
}

// writes reports whether cmd writes: a write command, or EXEC of a transaction
// holding one.
func (c *Client) writes(cmd *Command) bool {
	if cmd.Has(spec.Write) {
		return true
	}
	if cmd.Name == "exec" && c.multi != nil {
		for _, qc := range c.multi.cmds {
			if qc.cmd.Has(spec.Write) {
				return true
			}
		}
	}
	return false
}

// leaseLapsed reports whether the node is a primary without a running write lease.
// When the lease has run out it first tries one renewal (shared with other callers),
// unless one ended within the renewal interval: a primary cut off from the
// sentinels answers its clients at once rather than make each wait for a request
// that will not be answered.
func (s *Server) leaseLapsed() bool {
	l := &s.lease
	if s.mono() < l.until.Load() || !s.needsLease() {
		return false
	}
	if end := l.lastEnd.Load(); end > 0 && s.mono()-end < max(l.every.Load(), int64(25*time.Millisecond)) {
		return true
	}
	s.renewLease(s.mono())
	return s.mono() >= l.until.Load()
}

// renewLease asks the sentinels for a lease, unless a renewal that started after
// asked did already.
func (s *Server) renewLease(asked int64) {
	l := &s.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastStart >= asked {
		return
	}
	t0 := s.mono()
	l.lastStart = t0
	ctx, cancel := context.WithTimeout(context.Background(), max(time.Duration(l.every.Load())*2, 100*time.Millisecond))
	defer cancel()
	d, ok := sentinelapi.Lease(s.sentinelCtx(ctx), s.leaseSentinels(), s.cluster.myID())
	defer l.lastEnd.Store(s.mono())
	if ok {
		// 10% off for the clocks' rates.
		if until := t0 + int64(d)*9/10; until > l.until.Load() {
			l.until.Store(until)
		}
		l.every.Store(int64(d / 4))
	}
	held := s.mono() < l.until.Load()
	if was := l.held.Swap(held); was != held {
		if held {
			s.log.Noticef("Write lease acquired from the sentinels: this primary accepts writes")
		} else {
			l.lost.Add(1)
			s.log.Warningf("Write lease lost (no majority of the sentinels granted it): writes refused until it is renewed")
		}
	}
}

// leaseSentinels lists the RESP addresses of every sentinel the node has seen on the
// gossip since it started: a primary cut off from the sentinels keeps asking them.
func (s *Server) leaseSentinels() []string {
	l := &s.lease
	l.addrMu.Lock()
	defer l.addrMu.Unlock()
	if l.sentinels == nil {
		l.sentinels = map[string]bool{}
	}
	for _, a := range s.sentinels() {
		l.sentinels[a] = true
		l.required.Store(true)
	}
	out := make([]string, 0, len(l.sentinels))
	for a := range l.sentinels {
		out = append(out, a)
	}
	return out
}

// keepLease renews the lease while the node is a primary, every quarter of the
// lease's length or at once when kicked (the node just became a primary), until the
// server stops.
func (s *Server) keepLease() {
	l := &s.lease
	for {
		wait := time.Duration(l.every.Load())
		if wait <= 0 {
			wait = 100 * time.Millisecond
		}
		select {
		case <-s.stop:
			return
		case <-l.kick:
		case <-time.After(wait):
		}
		s.leaseSentinels() // notes the sentinels (required)
		if s.needsLease() {
			s.renewLease(s.mono())
		} else {
			l.held.Store(false)
		}
	}
}

// kickLease makes keepLease renew now.
func (s *Server) kickLease() {
	select {
	case s.lease.kick <- struct{}{}:
	default:
	}
}

// sentinelCtx is ctx for a call to the sentinels: through the node's fault
// injection when it has one.
func (s *Server) sentinelCtx(ctx context.Context) context.Context {
	return sentinelapi.WithDial(ctx, s.runID, gossip.DialOf(s.opt.Faults))
}
