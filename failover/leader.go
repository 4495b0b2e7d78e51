package failover

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// The leader loop: while this sentinel leads the Raft group it checks every shard's
// primary each ProbeEvery; for a primary it finds down it picks the best replica,
// gathers the group's down votes (which fence the old primary), and commits the
// replica as the shard's primary. The nodes follow the committed topology by
// themselves (the promoted replica stops replicating, the others and the old primary
// when it returns replicate from it), so a leader that dies mid-way leaves nothing
// half done: the next one starts from the committed topology.

// monitorLeadership runs the leader loop while this sentinel leads: started when
// leadership is gained, stopped and waited for when it is lost or the sentinel stops.
func (s *Sentinel) monitorLeadership() {
	defer s.wg.Done()
	stopLoop := func() {}
	for {
		select {
		case <-s.stop:
			stopLoop()
			return
		case lead := <-s.store.LeaderCh():
			stopLoop()
			stopLoop = func() {}
			if lead {
				stopLoop = s.startLeaderLoop()
			}
		}
	}
}

// startLeaderLoop starts the leader loop and returns what stops it and waits for it.
func (s *Sentinel) startLeaderLoop() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.leaderLoop(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// leaderLoop checks the shards until ctx ends.
func (s *Sentinel) leaderLoop(ctx context.Context) {
	s.event("+leader", fmt.Sprintf("%s term %d", s.cfg.ID, s.store.Term()))
	aborted := map[string]bool{} // shards whose failover found no replica (reported once)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.ProbeEvery):
		}
		top := s.store.Topology()
		for _, sh := range top.Shards() {
			if sh.Primary == "" || len(sh.Replicas) == 0 || !s.probes.sdown(sh.Primary) {
				delete(aborted, sh.ID)
				if sh.Primary != "" {
					s.setODown(sh.ID, false, s.describe(sh.Primary))
				}
				continue
			}
			if !s.tryFailover(sh.ID, sh.Primary, aborted, func() error { return s.failover(ctx, top, sh) }) {
				return
			}
		}
		if !s.checkGroups(ctx, aborted) {
			return
		}
	}
}

// tryFailover runs fn, a failover of master name (primary k), unless one of it runs
// already (a manual one); the first error of a streak is reported (aborted
// remembers it). It reports false when the sentinel crashed (SIMULATE-FAILURE).
func (s *Sentinel) tryFailover(name, k string, aborted map[string]bool, fn func() error) bool {
	if !s.claim(name) {
		return true
	}
	err := fn()
	s.release(name)
	if errors.Is(err, errCrashed) {
		return false
	}
	if err != nil && !aborted[name] {
		aborted[name] = true
		s.event("-failover-abort-no-good-slave", fmt.Sprintf("%s (%v)", s.describe(k), err))
	}
	return true
}

// failover replaces shard sh's primary, which this sentinel finds down: it picks a
// replica, gathers a majority of down votes, and commits the replica as primary.
func (s *Sentinel) failover(ctx context.Context, top *slots.Topology, sh slots.Shard) error {
	cand, err := s.choose(sh)
	if err != nil {
		return err
	}
	start := time.Now()
	votes, voters := s.collectVotes(ctx, sh.Primary)
	s.voteRounds.Add(1)
	if votes < voters/2+1 {
		return nil // not (yet) objectively down
	}
	if _, was := s.odownSince(sh.ID); !was {
		s.metrics.odowns.Inc()
		s.event("+odown", fmt.Sprintf("%s #quorum %d/%d", s.describe(sh.Primary), votes, voters/2+1))
	}
	s.setODown(sh.ID, true, "")
	s.event("+selected-slave", s.describe(cand))
	if err := s.simulated(simCrashAfterElection); err != nil {
		return err
	}
	if time.Since(start) > s.cfg.FenceFor/2 {
		return fmt.Errorf("the votes took too long")
	}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.FenceFor/4)
	defer cancel()
	epoch, err := s.store.Propose(pctx, slots.Change{Op: slots.OpSetPrimary, Shard: sh.ID, NodeID: cand, Req: newReq()})
	if err != nil {
		return err
	}
	if err := s.simulated(simCrashAfterPromotion); err != nil {
		return err
	}
	s.failovers.Add(1)
	s.metrics.observeFailover("auto", s.lastAnswer(sh.Primary))
	s.setODown(sh.ID, false, "")
	old, _ := top.Node(sh.Primary)
	s.event("+failover-end", fmt.Sprintf("master %s %s %d epoch %d", sh.ID, old.IP, old.Port, epoch))
	return nil // (+switch-master: watchTopology, on every sentinel)
}

// lastAnswer is when instance k last answered a probe validly (when probing began,
// if never).
func (s *Sentinel) lastAnswer(k string) time.Time {
	st, _ := s.probes.view(k)
	if st.lastOK.IsZero() {
		return st.since
	}
	return st.lastOK
}

// claim marks a failover of shard id as running, unless one is; release ends it.
func (s *Sentinel) claim(id string) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Sentinel) release(id string) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	delete(s.running, id)
}

// newReq is a new request ID for a proposal (applied once however often it is sent).
func newReq() string {
	var req [12]byte
	rand.Read(req[:])
	return hex.EncodeToString(req[:])
}

// choose picks the replica of sh to promote: among those answering probes, replicating
// (not mid full sync), with a non-zero replica-priority and a link to the primary
// down no longer than ValidityFactor × DownAfter, the one with the highest
// replication offset; ties go to the lower priority, then the lower ID.
func (s *Sentinel) choose(sh slots.Shard) (string, error) { return s.chooseWith(sh, s.probes.alive) }

// chooseWith is choose with alive telling whether the gossip sees a node alive.
func (s *Sentinel) chooseWith(sh slots.Shard, alive func(id string) bool) (string, error) {
	type candidate struct {
		id   string
		info replInfo
	}
	var cands []candidate
	var why []string
	validity := int64((time.Duration(s.cfg.ValidityFactor) * s.cfg.DownAfter).Seconds())
	prim, _ := s.probes.view(sh.Primary)
	for _, id := range sh.Replicas {
		st, ok := s.probes.view(id)
		in := st.info
		reason := ""
		switch {
		case !ok || s.probes.down(st, alive(id)):
			reason = "down"
		case in.Role != "slave":
			reason = "not replicating"
		case in.Syncing:
			reason = "in a full sync"
		case in.Priority == 0:
			reason = "replica-priority 0"
		case !in.LinkUp && in.LinkDown > validity:
			reason = fmt.Sprintf("disconnected for %d s", in.LinkDown)
		case in.Offset == 0 && prim.info.Offset > 0:
			reason = "never synchronized" // (offsets start once a primary has a replica)
		}
		if reason != "" {
			why = append(why, id[:min(8, len(id))]+": "+reason)
			continue
		}
		cands = append(cands, candidate{id, in})
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no good replica (%s)", strings.Join(why, "; "))
	}
	best := slices.MinFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.info.Offset, a.info.Offset), cmp.Compare(a.info.Priority, b.info.Priority),
			cmp.Compare(a.id, b.id))
	})
	// shard-durability safe: the primary acknowledged a write once one replica had it,
	// so only the most advanced of all the replicas surely has every acknowledged
	// write. With a replica silent, or ahead of every eligible one, none may take over.
	if prim.info.Safe || prim.lastOK.IsZero() { // (a primary never heard from: assume safe)
		for _, id := range sh.Replicas {
			st, ok := s.probes.view(id)
			if !ok || s.probes.down(st, alive(id)) {
				return "", fmt.Errorf("shard-durability safe: replica %s does not answer and may hold acknowledged writes", id[:min(8, len(id))])
			}
			if st.info.Offset > best.info.Offset {
				return "", fmt.Errorf("shard-durability safe: replica %s, not eligible, is ahead of every eligible one", id[:min(8, len(id))])
			}
		}
	}
	return best.id, nil
}

// collectVotes asks every voting member of the group (this one included) whether
// node id is down, as the leader (the answers fence it); it returns the down votes
// and the number of voters.
func (s *Sentinel) collectVotes(ctx context.Context, id string) (votes, voters int) {
	ids := s.store.Voters()
	ip, port := s.addrOf(id)
	epoch := strconv.FormatUint(s.store.Topology().Epoch(), 10)
	addrs := s.sentinelAddrs()
	answers := make(chan bool, len(ids))
	vctx, cancel := context.WithTimeout(ctx, max(s.cfg.DownAfter/4, 100*time.Millisecond))
	defer cancel()
	for _, v := range ids {
		if v == s.cfg.ID {
			answers <- s.voteDown(id, true)
			continue
		}
		addr, ok := addrs[v]
		if !ok {
			answers <- false
			continue
		}
		go func() {
			r, err := sentinelapi.Do(s.apiCtx(vctx), addr, "IS-MASTER-DOWN-BY-ADDR", ip, port, epoch, s.cfg.ID).Slice()
			answers <- err == nil && len(r) == 3 && r[0] == int64(1)
		}()
	}
	for range ids {
		if <-answers {
			votes++
		}
	}
	return votes, len(ids)
}

// voteDown is this sentinel's vote about node id (see leases.vote); only a voting
// member of the group votes.
func (s *Sentinel) voteDown(id string, fence bool) bool {
	voters := s.store.Voters()
	s.leases.observe(voters)
	if !slices.Contains(voters, s.cfg.ID) {
		return false
	}
	return s.leases.vote(id, s.store.Topology().Epoch(), s.probes.sdown(id), s.cfg.Lease, s.currentFor()+s.cfg.Lease, s.cfg.FenceFor, fence)
}

// currentFor is how long after it last heard from the group's leader a follower
// still grants leases (lease.go): a lease's length, or two Raft heartbeat timeouts
// when longer (an election after a leader is lost leaves no gap in the leases).
func (s *Sentinel) currentFor() time.Duration {
	return max(s.cfg.Lease, 2*s.store.Heartbeat())
}

// grantLease answers SENTINEL LEASE for node id: a lease of Lease when this sentinel
// votes in the group and leads it or heard from its leader within currentFor (see
// lease.go), its topology has id as a shard's primary, and no vote fenced it; it also
// returns the group's voters as this sentinel knows them.
func (s *Sentinel) grantLease(id string) (time.Duration, []string, error) {
	voters := s.store.Voters()
	s.leases.observe(voters)
	switch {
	case !slices.Contains(voters, s.cfg.ID):
		return 0, nil, fmt.Errorf("this sentinel is not a voting member of the group")
	case !s.store.Current(s.currentFor()):
		s.metrics.refused.Inc()
		return 0, nil, fmt.Errorf("this sentinel has not heard from the group's leader lately")
	}
	sh, ok := s.store.Topology().ShardOf(id)
	if !ok || sh.Primary != id {
		s.metrics.refused.Inc()
		return 0, nil, fmt.Errorf("node %s is not a primary", id)
	}
	if !s.leases.grant(id, sh.Since, s.cfg.Lease) {
		s.metrics.refused.Inc()
		return 0, nil, fmt.Errorf("node %s is fenced: it was voted down", id)
	}
	s.metrics.grants.Inc()
	return s.cfg.Lease, voters, nil
}

// keyByAddr finds the probe key of the instance at ip:port: a data node of the
// topology, or a member of a standalone group.
func (s *Sentinel) keyByAddr(ip, port string) (string, bool) {
	for _, n := range s.store.Topology().Nodes() {
		if n.IP == ip && strconv.Itoa(n.Port) == port {
			return n.ID, true
		}
	}
	k := net.JoinHostPort(ip, port)
	_, ok := s.probes.view(k)
	return k, ok
}

// gossipAlive reports whether the gossip counts member id among the live ones.
func (s *Sentinel) gossipAlive(id string) bool {
	for _, m := range s.gossip.Members() {
		if m.Name == id {
			return true
		}
	}
	return false
}

// describe names an instance (by probe key) as Redis Sentinel's events do: "master
// <name> <ip> <port>" for a primary (a shard's name is its ID), "slave <ip:port>
// <ip> <port> @ <name> <primary ip> <primary port>" for a replica.
func (s *Sentinel) describe(k string) string {
	ip, port := s.addrOf(k)
	for _, m := range s.masters() {
		if m.primary == k {
			return fmt.Sprintf("master %s %s %d", m.name, ip, port)
		}
		if slices.Contains(m.replicas, k) {
			pip, pport := s.addrOf(m.primary)
			return replicaText(net.JoinHostPort(ip, strconv.Itoa(port)), m.name, pip+" "+strconv.Itoa(pport))
		}
	}
	return fmt.Sprintf("master - %s %d", ip, port)
}

// event writes one failover timeline event in Redis Sentinel's log form
// ("+sdown master <name> <ip> <port>"), and publishes it on the channel named after
// its kind.
func (s *Sentinel) event(kind, text string) {
	s.events.Add(1)
	if s.cfg.Events != nil {
		s.evMu.Lock()
		fmt.Fprintf(s.cfg.Events, "%s # %s %s\n", time.Now().Format("02 Jan 2006 15:04:05.000"), kind, text)
		s.evMu.Unlock()
	}
	s.publish(kind, text)
}
