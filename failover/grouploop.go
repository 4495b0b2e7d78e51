package failover

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
)

// The leader's work on standalone groups, each ProbeEvery: learn new replicas from
// the primary's INFO, fail over a primary a quorum finds down, and bring every
// member in line with the committed group (the promoted replica a primary, the
// others — the old primary when it returns — its replicas).

// checkGroups runs the leader's checks on every group; aborted remembers the groups
// whose failover found no replica (reported once). It reports false when the
// sentinel crashed (SIMULATE-FAILURE).
func (s *Sentinel) checkGroups(ctx context.Context, aborted map[string]bool) bool {
	for _, g := range s.store.fsm.Groups() {
		if ctx.Err() != nil {
			return true
		}
		s.discover(g)
		if len(g.Replicas) == 0 || !s.probes.sdown(g.Primary) {
			delete(aborted, g.Name)
			s.setODown(g.Name, false, s.describe(g.Primary))
			s.reconcile(ctx, g)
			continue
		}
		if !s.tryFailover(g.Name, g.Primary, aborted, func() error { return s.groupFailover(ctx, g) }) {
			return false
		}
	}
	return true
}

// discover commits the replicas g's primary lists that g does not know yet.
func (s *Sentinel) discover(g Group) {
	st, ok := s.probes.view(g.Primary)
	if !ok || st.info.Role != "master" {
		return
	}
	known := append([]string{}, g.Replicas...)
	for _, r := range st.info.Replicas {
		a := net.JoinHostPort(r.IP, strconv.Itoa(r.Port))
		if r.IP != "" && r.Port > 0 && a != g.Primary && !slices.Contains(known, a) {
			known = append(known, a)
		}
	}
	if len(known) > len(g.Replicas) {
		g.Replicas = known
		s.proposeGroup(groupChange{Op: opGroupMembers, Group: g})
	}
}

// groupFailover replaces g's primary, which this sentinel finds down, when a quorum
// of the group's sentinels agrees.
func (s *Sentinel) groupFailover(ctx context.Context, g Group) error {
	cand, err := s.chooseWith(slots.Shard{ID: g.Name, Primary: g.Primary, Replicas: g.Replicas}, s.probes.alive)
	if err != nil {
		return err
	}
	votes, _ := s.collectVotes(ctx, g.Primary)
	s.voteRounds.Add(1)
	if votes < g.Quorum {
		return nil
	}
	if _, was := s.odownSince(g.Name); !was {
		s.metrics.odowns.Inc()
		s.event("+odown", fmt.Sprintf("%s #quorum %d/%d", s.describe(g.Primary), votes, g.Quorum))
	}
	s.setODown(g.Name, true, "")
	s.event("+try-failover", s.describe(g.Primary))
	s.event("+selected-slave", s.describe(cand))
	if err := s.simulated(simCrashAfterElection); err != nil {
		return err
	}
	old := g.Primary
	g.Primary = cand
	if err := s.proposeGroup(groupChange{Op: opGroupPrimary, Group: g}); err != nil {
		return err
	}
	if err := s.simulated(simCrashAfterPromotion); err != nil {
		return err
	}
	s.failovers.Add(1)
	s.metrics.observeFailover("auto", s.lastAnswer(old))
	s.setODown(g.Name, false, "")
	s.event("+failover-end", "master "+g.Name+" "+spaced(old))
	if ng, ok := s.group(g.Name); ok {
		s.reconcile(ctx, ng)
	}
	return nil // (+switch-master: watchGroups, on every sentinel)
}

// reconcile sends REPLICAOF to the members of g whose role differs from the
// committed one: the primary, if it still replicates after a failover, gets
// REPLICAOF NO ONE; a replica that is a primary (an old one back) or follows another
// primary gets REPLICAOF <primary> (and its clients are disconnected, as Redis
// Sentinel does, so they look for the primary again). A member is sent a command
// at most once per DownAfter.
func (s *Sentinel) reconcile(ctx context.Context, g Group) {
	pip, pport, _ := net.SplitHostPort(g.Primary)
	for i, k := range append([]string{g.Primary}, g.Replicas...) {
		st, ok := s.probes.view(k)
		if !ok || !st.connected || st.info.Role == "" || time.Since(st.lastOK) > s.cfg.ProbeEvery*3 {
			continue
		}
		var cmds [][]any
		kind := ""
		switch {
		case i == 0 && st.info.Role == "slave" && g.Epoch > 0:
			cmds, kind = [][]any{{"REPLICAOF", "NO", "ONE"}}, "+promoted-slave"
		case i > 0 && st.info.Role == "master":
			cmds, kind = [][]any{{"REPLICAOF", pip, pport}, {"CLIENT", "KILL", "TYPE", "normal"}}, "+convert-to-slave"
		case i > 0 && net.JoinHostPort(st.info.MasterHost, strconv.Itoa(st.info.MasterPort)) != g.Primary:
			cmds, kind = [][]any{{"REPLICAOF", pip, pport}}, "+fix-slave-config"
		default:
			continue
		}
		if !s.reconfDue(k) {
			continue
		}
		s.event(kind, s.describe(k))
		cl := redis.NewClient(&redis.Options{Addr: k, Username: g.AuthUser, Password: g.AuthPass, Protocol: 2,
			DisableIdentity: true, MaxRetries: -1, PoolSize: 1, DialTimeout: time.Second, ReadTimeout: time.Second})
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		for _, c := range cmds {
			cl.Do(cctx, c...)
		}
		cancel()
		cl.Close()
	}
}

// reconfDue reports whether member k may be sent a reconfiguration now, and if so
// records that it is.
func (s *Sentinel) reconfDue(k string) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if t, ok := s.reconfAt[k]; ok && time.Since(t) < s.cfg.DownAfter {
		return false
	}
	s.reconfAt[k] = time.Now()
	return true
}
