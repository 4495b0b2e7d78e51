package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/slots"
)

// The proxy learns which primary serves each slot in one of two ways. With the
// cluster secret it is a gossip member: every topology the sentinels commit is
// pushed to it as to the nodes, and it adopts each higher epoch at once. Without
// it (or until gossip brought a topology) it reads CLUSTER SLOTS from the nodes every
// second and after each MOVED. Either way a redirected request is sent again where
// the node says, so the client never sees MOVED or ASK.

// slotMap is the cluster's slots as the proxy last learned them.
type slotMap struct {
	epoch     uint64              // the topology's epoch (0: read from CLUSTER SLOTS)
	owner     [slots.Count]uint16 // slot → its primary, an index into addrs (0: none)
	addrs     []string            // "", then the primaries' addresses
	replicas  [][]string          // by index into addrs: the primary's replicas
	primaries []string            // the distinct primaries, sorted
}

// newSlotMap builds a slot map from (address, replicas, ranges) triples.
func newSlotMap(epoch uint64, owners []slotOwner) *slotMap {
	m := &slotMap{epoch: epoch, addrs: []string{""}, replicas: [][]string{nil}}
	index := map[string]uint16{}
	for _, o := range owners {
		i, ok := index[o.addr]
		if !ok {
			i = uint16(len(m.addrs))
			index[o.addr] = i
			m.addrs = append(m.addrs, o.addr)
			m.replicas = append(m.replicas, o.replicas)
			m.primaries = append(m.primaries, o.addr)
		}
		for s := max(o.start, 0); s <= min(o.end, slots.Count-1); s++ {
			m.owner[s] = i
		}
	}
	sort.Strings(m.primaries)
	return m
}

type slotOwner struct {
	addr       string
	replicas   []string
	start, end int
}

// readAddr is where a read-only request for slot goes under the read policy: its
// primary, one of its replicas (chosen by lane), or the one of them whose replies
// have come fastest lately.
func (p *Proxy) readAddr(slot, lane int) string {
	m := p.slots.Load()
	i := m.owner[slot]
	rs := m.replicas[i]
	if len(rs) == 0 {
		return m.addrs[i]
	}
	switch p.cfg.ReadFrom {
	case ReadReplicas:
		return rs[lane%len(rs)]
	case ReadNearest:
		best, bestLat := m.addrs[i], p.links.latency(m.addrs[i])
		for _, r := range rs {
			if lat := p.links.latency(r); lat < bestLat {
				best, bestLat = r, lat
			}
		}
		return best
	}
	return m.addrs[i]
}

// same reports whether m and o give every slot the same primary.
func (m *slotMap) same(o *slotMap) bool {
	for s := range m.owner {
		if m.addrs[m.owner[s]] != o.addrs[o.owner[s]] {
			return false
		}
	}
	return true
}

// install makes m the slot map; sessions with shard subscriptions re-place them when
// a slot changed hands.
func (p *Proxy) install(m *slotMap) {
	p.mapMu.Lock()
	old := p.slots.Load()
	if old.epoch > 0 && m.epoch <= old.epoch {
		p.mapMu.Unlock()
		return // (what gossip brought is newer than what any node answers)
	}
	p.slots.Store(m)
	p.mapMu.Unlock()
	if !old.same(m) {
		p.mu.Lock()
		for m := range p.movers {
			go m.moved()
		}
		p.mu.Unlock()
	}
}

// follow registers m to be told of slot map changes; forget ends it.
func (p *Proxy) follow(m mover) {
	p.mu.Lock()
	p.movers[m] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) forget(m mover) {
	p.mu.Lock()
	delete(p.movers, m)
	p.mu.Unlock()
}

// fromTopology is the slot map of a committed topology.
func fromTopology(top *slots.Topology) *slotMap {
	var owners []slotOwner
	for _, sh := range top.Shards() {
		n, ok := top.Node(sh.Primary)
		if !ok {
			continue
		}
		addr := net.JoinHostPort(n.IP, strconv.Itoa(n.Port))
		var replicas []string
		for _, id := range sh.Replicas {
			if r, ok := top.Node(id); ok {
				replicas = append(replicas, net.JoinHostPort(r.IP, strconv.Itoa(r.Port)))
			}
		}
		for _, r := range sh.Slots {
			owners = append(owners, slotOwner{addr, replicas, r.Start, r.End})
		}
	}
	return newSlotMap(top.Epoch(), owners)
}

// startGossip makes the proxy a gossip member, joining the members at join or, when
// none are given, the nodes' cluster buses as CLUSTER NODES of a seed names them.
func (p *Proxy) startGossip() error {
	join := p.cfg.Join
	if len(join) == 0 {
		join = p.busAddrs()
		if len(join) == 0 {
			return fmt.Errorf("proxy: no node answered CLUSTER NODES (to find the cluster bus)")
		}
	}
	id := make([]byte, 8)
	rand.Read(id)
	addr := p.Addr()
	g, err := gossip.Start(gossip.Config{
		Name:       "proxy-" + hex.EncodeToString(id),
		Bind:       p.cfg.GossipAddr,
		Secret:     p.cfg.Secret,
		Meta:       func() []byte { return []byte("proxy " + addr) },
		Faults:     p.cfg.Faults,
		OnTopology: func(top *slots.Topology) { p.install(fromTopology(top)) },
	}, join)
	if err != nil {
		return err
	}
	p.gossip = g
	if top := g.Topology(); top.Epoch() > 0 {
		p.install(fromTopology(top))
	}
	return nil
}

// busAddrs are the cluster bus (gossip) addresses CLUSTER NODES of the first seed
// that answers lists.
func (p *Proxy) busAddrs() []string {
	for _, addr := range p.cfg.Seeds {
		cl := p.nodeClient(addr)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		text, err := cl.ClusterNodes(ctx).Result()
		cancel()
		cl.Close()
		if err != nil {
			continue
		}
		var out []string
		for _, line := range strings.Split(text, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			hostport, rest, ok := strings.Cut(f[1], "@")
			if !ok {
				continue
			}
			host, _, err := net.SplitHostPort(hostport)
			bus, _, _ := strings.Cut(rest, ",")
			if err == nil && host != "" && bus != "" && bus != "0" {
				out = append(out, net.JoinHostPort(host, bus))
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// nodeClient is a one-connection client of a node, for the proxy's own questions.
func (p *Proxy) nodeClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		PoolSize: 1, DialTimeout: time.Second, ReadTimeout: time.Second, Username: p.cfg.User, Password: p.cfg.Password,
		Dialer: p.dialer()})
}

func (p *Proxy) refreshLoop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case <-time.After(time.Second):
		}
		p.refresh()
	}
}

// gossipLoop keeps the proxy in the gossip: when every node and sentinel stopped at
// once and started again, none of them remembers the proxy and it would stay the only
// member of a gossip of its own, following a topology that no longer changes. So
// while it is alone it joins again every second, through the members it last saw
// alive, the configured ones and the cluster buses the seeds name.
func (p *Proxy) gossipLoop() {
	defer p.wg.Done()
	self := p.gossip.Addr()
	var known []string // the other members' addresses, when last seen
	for {
		select {
		case <-p.stop:
			return
		case <-time.After(time.Second):
		}
		if members := p.gossip.Members(); len(members) > 1 {
			known = known[:0]
			for _, m := range members {
				if m.Addr != self {
					known = append(known, m.Addr)
				}
			}
			continue
		}
		if err := p.gossip.Join(slices.Concat(known, p.cfg.Join)...); err != nil {
			if buses := p.busAddrs(); len(buses) > 0 {
				p.gossip.Join(buses...)
			}
		}
	}
}

// refresh reads the slots' owners from the first node that answers CLUSTER SLOTS
// (nodes it learned first, then the seeds), at most every 50 ms.
func (p *Proxy) refresh() {
	if p.Epoch() > 0 {
		return // gossip pushes every change
	}
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	if time.Since(p.refreshed) < 50*time.Millisecond {
		return
	}
	p.refreshed = time.Now()
	seen := map[string]bool{}
	var addrs []string
	for _, a := range append(p.primaries(), p.cfg.Seeds...) {
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	for _, addr := range addrs {
		cl := p.nodeClient(addr)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		rs, err := cl.ClusterSlots(ctx).Result()
		cancel()
		cl.Close()
		if err != nil || len(rs) == 0 {
			continue
		}
		var owners []slotOwner
		for _, r := range rs {
			if len(r.Nodes) > 0 {
				var replicas []string
				for _, n := range r.Nodes[1:] {
					replicas = append(replicas, n.Addr)
				}
				owners = append(owners, slotOwner{r.Nodes[0].Addr, replicas, r.Start, r.End})
			}
		}
		p.install(newSlotMap(0, owners))
		return
	}
}

// Owner is the address of slot's primary as the proxy knows it ("": none).
func (p *Proxy) Owner(slot int) string { return p.addrFor(slot) }

// GossipAddr is the proxy's gossip address ("" when it is not a gossip member).
func (p *Proxy) GossipAddr() string {
	if p.gossip == nil {
		return ""
	}
	return p.gossip.Addr()
}

// Epoch is the epoch of the topology the proxy follows (0: none came by gossip).
func (p *Proxy) Epoch() uint64 { return p.slots.Load().epoch }

// primaries lists the distinct primaries of the current slot map (not to be
// modified).
func (p *Proxy) primaries() []string { return p.slots.Load().primaries }

// everyNode lists the primaries of the current slot map and their replicas.
func (p *Proxy) everyNode() []string {
	m := p.slots.Load()
	all := slices.Clone(m.primaries)
	for _, rs := range m.replicas {
		all = append(all, rs...)
	}
	return all
}

// addrFor is the primary of slot, or any primary for -1.
func (p *Proxy) addrFor(slot int) string {
	m := p.slots.Load()
	if slot >= 0 {
		return m.addrs[m.owner[slot]]
	}
	ps := m.primaries
	if len(ps) == 0 {
		return ""
	}
	return ps[mrand.IntN(len(ps))]
}
