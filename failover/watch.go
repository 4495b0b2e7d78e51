package failover

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/slots"
)

// Events every sentinel reports from what the group commits, so that a client
// subscribed to any of them hears of a failover: +switch-master when a master's
// primary changed, +slave when it gained a replica, +monitor / -monitor when a
// standalone group was added or removed.

// watchTopology reports the changes from the topology last applied to top (called by
// the FSM after each applied change; the first one only sets the starting point).
func (s *Sentinel) watchTopology(top *slots.Topology) {
	s.topMu.Lock()
	prev := s.lastTop
	s.lastTop = top
	s.topMu.Unlock()
	if prev == nil {
		return
	}
	before := map[string]slots.Shard{}
	for _, sh := range prev.Shards() {
		before[sh.ID] = sh
	}
	addr := func(t *slots.Topology, id string) string {
		n, _ := t.Node(id)
		return n.IP + " " + strconv.Itoa(n.Port)
	}
	for _, sh := range top.Shards() {
		old, ok := before[sh.ID]
		if !ok || sh.Primary == "" {
			continue
		}
		if old.Primary != "" && old.Primary != sh.Primary {
			s.event("+switch-master", fmt.Sprintf("%s %s %s", sh.ID, addr(prev, old.Primary), addr(top, sh.Primary)))
		}
		for _, r := range sh.Replicas {
			if r != old.Primary && !slices.Contains(old.Replicas, r) {
				n, _ := top.Node(r)
				s.event("+slave", replicaText(net.JoinHostPort(n.IP, strconv.Itoa(n.Port)), sh.ID, addr(top, sh.Primary)))
			}
		}
	}
}

// watchGroups reports the changes from the groups last applied to groups.
func (s *Sentinel) watchGroups(groups []Group) {
	next := map[string]Group{}
	for _, g := range groups {
		next[g.Name] = g
	}
	s.topMu.Lock()
	prev := s.lastGroups
	s.lastGroups = next
	s.topMu.Unlock()
	for _, g := range groups {
		old, ok := prev[g.Name]
		if !ok {
			s.event("+monitor", fmt.Sprintf("master %s %s quorum %d", g.Name, spaced(g.Primary), g.Quorum))
			continue
		}
		if old.Primary != g.Primary {
			s.event("+switch-master", fmt.Sprintf("%s %s %s", g.Name, spaced(old.Primary), spaced(g.Primary)))
		}
		for _, r := range g.Replicas {
			if r != old.Primary && !slices.Contains(old.Replicas, r) {
				s.event("+slave", replicaText(r, g.Name, spaced(g.Primary)))
			}
		}
	}
	for name, g := range prev {
		if _, ok := next[name]; !ok {
			s.event("-monitor", fmt.Sprintf("master %s %s", name, spaced(g.Primary)))
		}
	}
}

// replicaText names a replica as Redis Sentinel's events do: "slave <ip:port> <ip>
// <port> @ <master name> <primary ip> <primary port>" (primary given as "ip port").
func replicaText(addr, name, primary string) string {
	return fmt.Sprintf("slave %s %s @ %s %s", addr, spaced(addr), name, primary)
}

// spaced turns "ip:port" into "ip port".
func spaced(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host + " " + port
}

// setODown records (or clears) that the leader found master name objectively down;
// clearing it reports -odown with text (none when text is empty: after a failover).
func (s *Sentinel) setODown(name string, down bool, text string) {
	s.runMu.Lock()
	_, was := s.odown[name]
	if down && !was {
		s.odown[name] = time.Now()
	} else if !down {
		delete(s.odown, name)
	}
	s.runMu.Unlock()
	if !down && was && text != "" {
		s.event("-odown", text)
	}
}

// odownSince is when the leader found master name objectively down.
func (s *Sentinel) odownSince(name string) (time.Time, bool) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	t, ok := s.odown[name]
	return t, ok
}

// inProgress reports whether a failover of master name runs here.
func (s *Sentinel) inProgress(name string) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	return s.running[name]
}
