package admin

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// Create makes a cluster of the data nodes at addrs (cluster-enabled, empty, in no
// cluster yet): the first len(addrs)/(replicas+1) become primaries with the slots split
// evenly among them, the others their replicas (spread over the primaries, on another
// host than their primary where possible). Every node meets the sentinel group; the
// layout is committed there, then checked.
func (a *Admin) Create(addrs []string, replicas int) error {
	if replicas < 0 {
		return fmt.Errorf("--replicas must be 0 or more")
	}
	masters := len(addrs) / (replicas + 1)
	if masters < 1 {
		return fmt.Errorf("%d nodes are not enough for primaries with %d replicas each", len(addrs), replicas)
	}
	top, err := a.topology()
	if err != nil {
		return err
	}
	ctx, cancel := a.ctx()
	defer cancel()
	ids := make([]string, len(addrs))
	for i, addr := range addrs {
		if ids[i], err = a.newNode(ctx, addr, top); err != nil {
			return err
		}
	}
	a.printf(">>> Performing hash slots allocation on %d nodes...\n", len(addrs))
	split := splitSlots(masters)
	for i, r := range split {
		a.printf("Master[%d] -> Slots %d - %d\n", i, r.Start, r.End)
	}
	replicaOf := placeReplicas(addrs, masters)
	for i := masters; i < len(addrs); i++ {
		a.printf("Adding replica %s to %s\n", addrs[i], addrs[replicaOf[i]])
	}
	if err := a.meetSentinels(ctx, addrs); err != nil {
		return err
	}
	a.printf(">>> Committing the layout through the sentinel group\n")
	for i, r := range split {
		if err := a.nodeChange(ctx, addrs[i], "CLUSTER", "ADDSLOTSRANGE", r.Start, r.End); err != nil {
			return fmt.Errorf("assigning slots %s to %s: %w", r, addrs[i], err)
		}
	}
	for i := masters; i < len(addrs); i++ {
		if err := a.nodeChange(ctx, addrs[i], "CLUSTER", "REPLICATE", ids[replicaOf[i]]); err != nil {
			return fmt.Errorf("making %s a replica of %s: %w", addrs[i], addrs[replicaOf[i]], err)
		}
	}
	_, err = a.settle()
	return err
}

// Created reports whether the sentinels' layout assigns slots already: a cluster was
// created (what `shoal cluster create --if-new` checks first).
func (a *Admin) Created() (bool, error) {
	top, err := a.topology()
	if err != nil {
		return false, err
	}
	for _, sh := range top.Shards() {
		if sh.Slots.Len() > 0 {
			return true, nil
		}
	}
	return false, nil
}

// settle waits until every node follows the committed topology, then checks it; it
// returns the topology it checked.
func (a *Admin) settle() (*slots.Topology, error) {
	top, err := a.topology()
	if err != nil {
		return nil, err
	}
	if err := a.waitAll(top); err != nil {
		return nil, err
	}
	if !a.check(top) {
		return nil, ErrCheck
	}
	return top, nil
}

// splitSlots splits the 16384 slots into n ranges as redis-cli does (0-5460,
// 5461-10922, 10923-16383 for three).
func splitSlots(n int) []slots.Range {
	per := float64(slots.Count) / float64(n)
	out := make([]slots.Range, n)
	first, cursor := 0, 0.0
	for i := range n {
		last := int(cursor + per - 1 + 0.5)
		if last > slots.Count-1 || i == n-1 {
			last = slots.Count - 1
		}
		if last < first {
			last = first
		}
		out[i] = slots.Range{Start: first, End: last}
		first = last + 1
		cursor += per
	}
	return out
}

// placeReplicas maps each node index from masters on to the primary index it
// replicates: the primary with the fewest replicas so far, counting a primary on the
// replica's own host as having one more (a replica should survive its primary's
// host), ties to the lowest index.
func placeReplicas(addrs []string, masters int) map[int]int {
	host := func(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
	count := make([]int, masters)
	out := map[int]int{}
	for i := masters; i < len(addrs); i++ {
		score := func(m int) int {
			if host(addrs[m]) == host(addrs[i]) {
				return count[m] + 1
			}
			return count[m]
		}
		best := 0
		for m := 1; m < masters; m++ {
			if score(m) < score(best) {
				best = m
			}
		}
		out[i] = best
		count[best]++
	}
	return out
}

// meetSentinels has every node at addrs join the sentinel group's gossip.
func (a *Admin) meetSentinels(ctx context.Context, addrs []string) error {
	bus, err := sentinelapi.Bus(ctx, a.sentinels)
	if err != nil {
		return fmt.Errorf("asking the sentinels for their gossip address: %w", err)
	}
	host, port, err := net.SplitHostPort(bus)
	if err != nil {
		return err
	}
	a.printf(">>> Sending CLUSTER MEET messages to join the sentinel group (gossip %s)\n", bus)
	for _, addr := range addrs {
		if err := a.client(addr).Do(ctx, "CLUSTER", "MEET", host, port, port).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER MEET %s: %w", addr, bus, err)
		}
	}
	return nil
}

// newNode reads the ID of the data node at addr and checks that it may join: in
// cluster mode, in no cluster yet, empty.
func (a *Admin) newNode(ctx context.Context, addr string, top *slots.Topology) (string, error) {
	c := a.client(addr)
	id, err := c.Do(ctx, "CLUSTER", "MYID").Text()
	if err != nil {
		return "", fmt.Errorf("node %s: %w", addr, err)
	}
	if _, known := top.Node(id); known {
		return "", fmt.Errorf("node %s is already part of the cluster", addr)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		return "", fmt.Errorf("node %s is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0", addr)
	}
	return id, nil
}

// AddNode adds the data node at addr to the cluster: as a primary without slots (then
// reshard or rebalance to give it some), or, with asReplica, as a replica of the
// primary named by replicaOf (ID, ID prefix or address), or of the primary with the
// fewest replicas when replicaOf is "".
func (a *Admin) AddNode(addr string, asReplica bool, replicaOf string) error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	ctx, cancel := a.ctx()
	defer cancel()
	id, err := a.newNode(ctx, addr, top)
	if err != nil {
		return err
	}
	var master slots.Node
	if asReplica {
		if master, err = a.pickPrimary(top, replicaOf, ""); err != nil {
			return err
		}
	}
	a.printf(">>> Adding node %s to the cluster (epoch %d)\n", addr, top.Epoch())
	if err := a.meetSentinels(ctx, []string{addr}); err != nil {
		return err
	}
	if asReplica {
		a.printf(">>> Configure node as replica of %s.\n", endpoint(master))
		if err := a.nodeChange(ctx, addr, "CLUSTER", "REPLICATE", master.ID); err != nil {
			return fmt.Errorf("%s: CLUSTER REPLICATE %s: %w", addr, master.ID, err)
		}
	} else {
		// Meeting a data node of the cluster adds the new node to the layout, as a
		// primary without slots.
		nodes := top.Nodes()
		if len(nodes) == 0 {
			return fmt.Errorf("the cluster has no node yet: use shoal cluster create")
		}
		n := nodes[0]
		a.printf(">>> Send CLUSTER MEET to node %s to make it join the cluster.\n", addr)
		if err := a.nodeChange(ctx, addr, "CLUSTER", "MEET", n.IP, n.Port, n.BusPort); err != nil {
			return fmt.Errorf("%s: CLUSTER MEET %s: %w", addr, endpoint(n), err)
		}
	}
	if top, err = a.settle(); err != nil {
		return err
	}
	if _, ok := top.Node(id); !ok {
		return fmt.Errorf("node %s is not in the layout at epoch %d after the CLUSTER MEET", addr, top.Epoch())
	}
	a.printf("[OK] New node added correctly.\n")
	return nil
}

// pickPrimary resolves ref to a primary of top, or, when ref is "", picks the primary
// with the fewest replicas (never the shard of node except).
func (a *Admin) pickPrimary(top *slots.Topology, ref, except string) (slots.Node, error) {
	if ref != "" {
		n, err := findNode(top, ref)
		if err != nil {
			return n, err
		}
		if sh, ok := top.ShardOf(n.ID); ok && sh.Primary != n.ID {
			return n, fmt.Errorf("node %s is not a primary", ref)
		}
		return n, nil
	}
	ps := primaries(top)
	ps = slices.DeleteFunc(ps, func(p primary) bool { return p.node.ID == except })
	if len(ps) == 0 {
		return slots.Node{}, fmt.Errorf("the cluster has no primary to replicate")
	}
	best := slices.MinFunc(ps, func(x, y primary) int { return len(x.shard.Replicas) - len(y.shard.Replicas) })
	return best.node, nil
}

// DelNode removes a node (ID, ID prefix or address) from the cluster. A primary must
// serve no slots; its replicas move to the primaries with the fewest replicas. The
// removed node gets CLUSTER RESET SOFT when it can be reached.
func (a *Admin) DelNode(ref string) error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	n, err := findNode(top, ref)
	if err != nil {
		return err
	}
	a.printf(">>> Removing node %s from cluster\n", endpoint(n))
	if sh, ok := top.ShardOf(n.ID); ok && sh.Primary == n.ID {
		if sh.Slots.Len() > 0 {
			return fmt.Errorf("node %s is not empty! Reshard data away and try again", endpoint(n))
		}
		for _, r := range sh.Replicas {
			if err := a.rehome(r, n.ID); err != nil {
				return err
			}
		}
	}
	a.printf(">>> Sending CLUSTER FORGET messages to the cluster...\n")
	if _, err := a.propose(slots.Change{Op: slots.OpForgetNode, NodeID: n.ID}); err != nil {
		return err
	}
	a.printf(">>> Sending CLUSTER RESET SOFT to the deleted node.\n")
	ctx, cancel := a.ctx()
	defer cancel()
	if err := a.client(endpoint(n)).Do(ctx, "CLUSTER", "RESET", "SOFT").Err(); err != nil {
		a.printf("[WARNING] %s: CLUSTER RESET SOFT: %v\n", endpoint(n), err)
	}
	return nil
}

// rehome makes the replica id replicate the primary with the fewest replicas other than
// the one it has (except).
func (a *Admin) rehome(id, except string) error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	r, _ := top.Node(id)
	master, err := a.pickPrimary(top, "", except)
	if err != nil {
		return fmt.Errorf("moving replica %s away: %w", endpoint(r), err)
	}
	to, _ := top.ShardOf(master.ID)
	a.printf(">>> Moving replica %s to replicate %s\n", endpoint(r), endpoint(master))
	for _, ch := range []slots.Change{
		{Op: slots.OpForgetNode, NodeID: id},
		{Op: slots.OpAddNode, Node: r},
		{Op: slots.OpAddReplica, Shard: to.ID, NodeID: id},
	} {
		if _, err := a.propose(ch); err != nil {
			return err
		}
	}
	return nil
}

// Failover promotes a replica, gracefully (its primary's writes paused until it has
// all of them) unless force: ref is the replica (ID, ID prefix or address), or a
// primary or shard ID, whose best replica the sentinels pick (forced when they find
// the primary down).
func (a *Admin) Failover(ref string, force bool) error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var args []any
	if i := slices.IndexFunc(top.Shards(), func(sh slots.Shard) bool { return sh.ID == ref }); i >= 0 {
		args = []any{"FAILOVER", ref}
	} else {
		n, err := findNode(top, ref)
		if err != nil {
			return err
		}
		sh, ok := top.ShardOf(n.ID)
		switch {
		case !ok:
			return fmt.Errorf("node %s is in no shard", endpoint(n))
		case sh.Primary == n.ID:
			args = []any{"FAILOVER", sh.ID}
		case force:
			args = []any{"PROMOTE", n.ID, "FORCE"}
		default:
			args = []any{"PROMOTE", n.ID}
		}
	}
	a.printf(">>> Failing over: SENTINEL %v\n", args)
	if _, err := sentinelapi.Leader(ctx, a.sentinels, args...); err != nil {
		return err
	}
	after, err := a.topology()
	if err != nil {
		return err
	}
	for _, sh := range after.Shards() {
		if before, ok := top.ShardByID(sh.ID); ok && before.Primary != sh.Primary {
			n, _ := after.Node(sh.Primary)
			a.printf("[OK] %s is the primary of shard %s (epoch %d)\n", endpoint(n), sh.ID, after.Epoch())
		}
	}
	return nil
}
