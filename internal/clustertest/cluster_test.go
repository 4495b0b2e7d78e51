package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// TestEndToEnd: three sentinels and four data nodes; the cluster is laid out through
// the sentinels' Raft group (SENTINEL PROPOSE), the topology reaches every node by
// gossip, a go-redis ClusterClient reads and writes across the shards, a follower
// sentinel refuses proposals with the leader's address, and a slot hand-off
// committed by the group moves the redirects.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 3, 4)
	epoch := c.Create(1) // two shards: nodes 0 (+1) and 2 (+3)
	addrs := []string{c.Nodes[0].Addr().String()}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()
	for i := range 300 {
		if err := cc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if v, err := cc.Get(ctx, "k"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("k%d = %d, %v", i, v, err)
		}
	}
	for _, s := range c.Sentinels {
		if s.Store().IsLeader() {
			continue
		}
		var err error
		c.waitFor("a follower naming the leader", func() bool {
			err = c.SentinelClient(s).Do(ctx, "SENTINEL", "PROPOSE", string(slots.Change{Op: slots.OpDropSlots, Shard: ShardID(0), Slots: "0"}.JSON())).Err()
			l := c.leader()
			return err != nil && l != nil && err.Error() == "NOTLEADER "+l.Addr()
		})
		if !strings.HasPrefix(err.Error(), "NOTLEADER ") {
			t.Errorf("a follower's PROPOSE: %v", err)
		}
	}
	// Operator tooling reads the same layout.
	if cli, err := exec.LookPath("redis-cli"); err == nil {
		out, err := exec.Command(cli, "--cluster", "check", addrs[0]).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "[OK] All nodes agree about slots configuration.") ||
			!strings.Contains(string(out), "[OK] All 16384 slots covered.") || strings.Count(string(out), "S: ") != 2 {
			t.Errorf("redis-cli --cluster check: %v\n%s", err, out)
		}
		host, port, _ := net.SplitHostPort(c.Nodes[2].Addr().String())
		out, err = exec.Command(cli, "-c", "-h", host, "-p", port, "GET", "k1").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "1" {
			t.Errorf("redis-cli -c GET k1 through node 2: %v %q", err, out)
		}
	}
	// "bar" is in slot 5061, shard 0's; hand slots 5000-5100 to shard 1.
	n0 := c.Client(c.Nodes[0])
	if err := n0.Set(ctx, "bar", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// (A proposer that asks for it gets the topology the change made with the answer.)
	epoch, top, err := sentinelapi.ProposeWithTopology(ctx, c.sentinelAddrs(), slots.Change{Op: slots.OpMoveSlots, Shard: ShardID(0), To: ShardID(1), Slots: "5000-5100"})
	if err != nil {
		t.Fatal(err)
	}
	if owner, _ := top.Owner(5061); top.Epoch() < epoch || owner.ID != ShardID(1) {
		t.Fatalf("SENTINEL PROPOSE … WITHTOPOLOGY: epoch %d, topology at %d, slot 5061 in %s", epoch, top.Epoch(), owner.ID)
	}
	c.WaitEpoch(epoch)
	if err := n0.Get(ctx, "bar").Err(); err == nil || err.Error() != "MOVED 5061 "+c.Nodes[2].Addr().String() {
		t.Errorf("GET bar after the hand-off: %v", err)
	}
	// Once converged, every node describes the cluster alike: CLUSTER SLOTS and SHARDS
	// the same (but for the replication offsets each node last heard), CLUSTER NODES
	// the same lines (but for the "myself" flag and the ping/pong times).
	var views []string
	c.waitFor("every node's CLUSTER SLOTS, SHARDS and NODES alike", func() bool {
		views = views[:0]
		for _, n := range c.Nodes {
			views = append(views, clusterViews(ctx, c.Client(n)))
		}
		for _, v := range views[1:] {
			if v != views[0] {
				return false
			}
		}
		return true
	})
	// Every node announces its role, shard, address and replication offset on the
	// gossip: the sentinels see replica 1 of shard 0 at its primary's offset.
	c.waitFor("the nodes' gossip metadata", func() bool {
		var primary, replica gossip.NodeMeta
		for _, m := range c.Sentinels[1].Nodes() {
			switch m.ID {
			case c.Nodes[0].ClusterID():
				primary = m
			case c.Nodes[1].ClusterID():
				replica = m
			}
		}
		return primary.Role == "master" && replica.Role == "slave" && replica.Shard == ShardID(0) &&
			primary.Shard == ShardID(0) && replica.Addr == c.Nodes[1].Addr().String() &&
			replica.Offset > 0 && replica.Offset == primary.Offset
	})
}

// TestRedisCliCreate: redis-cli --cluster create lays out six shoal nodes (three
// primaries with a replica each) — its ADDSLOTS and REPLICATE become proposals to the
// sentinels — then --cluster check agrees, the replicas replicate, and a
// ClusterClient works.
func TestRedisCliCreate(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	ctx := context.Background()
	c := Start(t, 1, 6)
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr().String())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered.") {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	out, err = exec.Command(cli, "--cluster", "check", c.Nodes[0].Addr().String()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All nodes agree about slots configuration.") || strings.Count(string(out), "S: ") != 3 {
		t.Errorf("redis-cli --cluster check: %v\n%s", err, out)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}})
	defer cc.Close()
	for i := range 100 {
		if err := cc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Every replica replicates its primary.
	c.waitFor("the replicas to hold their primaries' keys", func() bool {
		total := int64(0)
		for _, n := range c.Nodes {
			cl := c.Client(n)
			if strings.Contains(cl.Info(ctx, "replication").Val(), "role:slave") {
				if !strings.Contains(cl.Info(ctx, "replication").Val(), "master_link_status:up") {
					return false
				}
				total += cl.DBSize(ctx).Val()
			}
		}
		return total == 100
	})
}

// TestRedisCliReshard: redis-cli --cluster reshard moves 200 slots with their keys
// between two shoal primaries — SETSLOT IMPORTING/MIGRATING become one migration in
// the topology, MIGRATE sends the keys with RESTORE-ASKING, SETSLOT NODE hands the
// slots over through the sentinels — and every key is still readable afterwards.
func TestRedisCliReshard(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0) // shard 0: slots 0-8191 on node 0; shard 1: 8192-16383 on node 1
	a := c.Nodes[0].Addr().String()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{a}})
	defer cc.Close()
	for i := range 2000 {
		if err := cc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(cli, "--cluster", "reshard", a, "--cluster-from", c.Nodes[0].ClusterID(),
		"--cluster-to", c.Nodes[1].ClusterID(), "--cluster-slots", "200", "--cluster-yes").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster reshard: %v\n%s", err, out)
	}
	out, err = exec.Command(cli, "--cluster", "check", a).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All nodes agree about slots configuration.") ||
		!strings.Contains(string(out), "slots:[200-8191] (7992 slots) master") {
		t.Errorf("redis-cli --cluster check after the reshard: %v\n%s", err, out)
	}
	cc.ReloadState(ctx)
	for i := range 2000 {
		if v, err := cc.Get(ctx, "k"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("k%d after the reshard = %d, %v", i, v, err)
		}
	}
	n0, n1 := c.Client(c.Nodes[0]).DBSize(ctx).Val(), c.Client(c.Nodes[1]).DBSize(ctx).Val()
	if n0+n1 != 2000 {
		t.Errorf("%d + %d keys after the reshard, want 2000", n0, n1)
	}
}

// TestRedisCliAddDelNode: redis-cli --cluster add-node brings a new primary in
// (CLUSTER MEET joins the layout), reshard gives it slots with their keys, add-node
// --cluster-slave adds a replica to it, and del-node takes the replica out again.
func TestRedisCliAddDelNode(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	ctx := context.Background()
	c := Start(t, 1, 5)
	run := func(want string, args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	addr := func(i int) string { return c.Nodes[i].Addr().String() }
	run("[OK] All 16384 slots covered.", "--cluster", "create", addr(0), addr(1), addr(2), "--cluster-yes")
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr(0)}})
	defer cc.Close()
	for i := range 500 {
		if err := cc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	run("[OK] New node added correctly.", "--cluster", "add-node", addr(3), addr(0))
	run("Moving slot", "--cluster", "reshard", addr(0), "--cluster-from", c.Nodes[0].ClusterID(),
		"--cluster-to", c.Nodes[3].ClusterID(), "--cluster-slots", "100", "--cluster-yes")
	run("[OK] New node added correctly.", "--cluster", "add-node", addr(4), addr(0), "--cluster-slave",
		"--cluster-master-id", c.Nodes[3].ClusterID())
	out := run("[OK] All nodes agree about slots configuration.", "--cluster", "check", addr(0))
	if !strings.Contains(out, "(100 slots) master") || strings.Count(out, "S: ") != 1 {
		t.Errorf("check after add-node and reshard:\n%s", out)
	}
	// rebalance with a small weight on the new primary (a few hundred slots move, to
	// keep the test short), then info reports the four primaries.
	run("Moving", "--cluster", "rebalance", addr(0), "--cluster-weight", c.Nodes[3].ClusterID()+"=0.06")
	out = run("[OK] 500 keys in 4 masters.", "--cluster", "info", addr(0))
	if !strings.Contains(out, addr(3)+" ("+c.Nodes[3].ClusterID()[:8]+"...) -> ") || strings.Contains(out, "| 100 slots |") {
		t.Errorf("info after rebalance:\n%s", out)
	}
	run("Sending CLUSTER RESET SOFT to the deleted node.", "--cluster", "del-node", addr(0), c.Nodes[4].ClusterID())
	out = run("[OK] All 16384 slots covered.", "--cluster", "check", addr(0))
	if strings.Contains(out, c.Nodes[4].ClusterID()) {
		t.Errorf("the deleted node is still listed:\n%s", out)
	}
	// The deleted node was reset (it left the cluster): it can be added again.
	run("[OK] New node added correctly.", "--cluster", "add-node", addr(4), addr(0))
	out = run("[OK] All 16384 slots covered.", "--cluster", "check", addr(0))
	if !strings.Contains(out, c.Nodes[4].ClusterID()) {
		t.Errorf("the node added again is not listed:\n%s", out)
	}
	cc.ReloadState(ctx)
	for i := range 500 {
		if v, err := cc.Get(ctx, "k"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("k%d = %d, %v", i, v, err)
		}
	}
}

// TestClusterPubSub: PUBLISH on any node reaches the subscribers of every node (the
// cluster bus), SPUBLISH those of the channel's shard only — its primary and, with
// READONLY, its replica — and each answers its own node's count, as Redis does.
func TestClusterPubSub(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 4)
	c.Create(1) // shard 0: node 0 (+ node 1); shard 1: node 2 (+ node 3)
	receive := func(sub *redis.PubSub, want string) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if m, err := sub.ReceiveMessage(rctx); err != nil || m.Payload != want {
			t.Fatalf("want %q: %v %v", want, m, err)
		}
	}
	var subs []*redis.PubSub
	for _, n := range c.Nodes {
		sub := c.Client(n).Subscribe(ctx, "news")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		subs = append(subs, sub)
	}
	if n, err := c.Client(c.Nodes[3]).Publish(ctx, "news", "to all").Result(); err != nil || n != 1 {
		t.Errorf("PUBLISH on node 3 = %d, %v (its own subscriber)", n, err)
	}
	for _, sub := range subs {
		receive(sub, "to all")
	}

	// "{a}ch" hashes to slot 15495: shard 1 (node 2, replica node 3).
	var shardSubs []*redis.PubSub
	for _, i := range []int{2, 3} {
		cl := c.Client(c.Nodes[i])
		if i == 3 {
			cl.Do(ctx, "READONLY")
		}
		sub := cl.SSubscribe(ctx, "{a}ch")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("SSUBSCRIBE on node %d: %v", i, err)
		}
		defer sub.Close()
		shardSubs = append(shardSubs, sub)
	}
	if err := c.Client(c.Nodes[0]).SPublish(ctx, "{a}ch", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED 15495 ") {
		t.Errorf("SPUBLISH on another shard: %v", err)
	}
	if n, err := c.Client(c.Nodes[2]).SPublish(ctx, "{a}ch", "to shard").Result(); err != nil || n != 1 {
		t.Errorf("SPUBLISH on the shard's primary = %d, %v", n, err)
	}
	for _, sub := range shardSubs {
		receive(sub, "to shard")
	}
	// The other shard's nodes got nothing: the next message they see is a later PUBLISH.
	c.Client(c.Nodes[2]).Publish(ctx, "news", "after")
	for _, sub := range subs {
		receive(sub, "after")
	}
}

// TestRestarts: a replica restarted while the layout changed comes back with its ID,
// finds the cluster through its cluster-config-file, follows the current epoch and
// resynchronizes; a sentinel restarted recovers the topology from its Raft log and
// the group commits again; after every process restarts, they meet again through what
// they remembered and serve.
func TestRestarts(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 4)
	c.Create(1) // shard 0: node 0 (+ node 1); shard 1: node 2 (+ node 3)
	fill(t, c.Nodes[0].Addr().String(), 1000)
	id := c.Nodes[1].ClusterID()
	var epoch uint64
	n := c.RestartNode(1, func() {
		epoch = c.Propose(slots.Change{Op: slots.OpMoveSlots, Shard: ShardID(1), To: ShardID(0), Slots: "16000-16383"})
	})
	if n.ClusterID() != id {
		t.Fatalf("the restarted node's ID %s, want %s", n.ClusterID(), id)
	}
	c.WaitEpoch(epoch)
	primary, replica := c.Client(c.Nodes[0]), c.Client(n)
	c.waitFor("the restarted replica in sync", func() bool {
		info := replica.Info(ctx, "replication").Val()
		return strings.Contains(info, "master_link_status:up") && replica.DBSize(ctx).Val() == primary.DBSize(ctx).Val()
	})
	nodes := replica.ClusterNodes(ctx).Val()
	if !strings.Contains(nodes, id+" "+n.Addr().String()) || !strings.Contains(nodes, "myself,slave "+c.Nodes[0].ClusterID()) {
		t.Errorf("CLUSTER NODES on the restarted replica:\n%s", nodes)
	}

	before, err := c.SentinelClient(c.Sentinels[0]).Do(ctx, "SENTINEL", "TOPOLOGY").Text()
	if err != nil {
		t.Fatal(err)
	}
	s := c.RestartSentinel(0)
	c.waitFor("the restarted sentinel back at the same topology", func() bool {
		after, err := c.SentinelClient(s).Do(ctx, "SENTINEL", "TOPOLOGY").Text()
		return err == nil && after == before
	})
	// Nodes propose through it again (they find it by gossip).
	c.waitFor("CLUSTER ADDSLOTS through the restarted sentinel", func() bool {
		return c.Client(c.Nodes[2]).Do(ctx, "CLUSTER", "DELSLOTSRANGE", "15000", "15001").Err() == nil
	})
	c.WaitEpoch(epoch + 1) // the restarted sentinel publishes it to every node
	if info := c.Client(c.Nodes[0]).ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_slots_assigned:16382") {
		t.Errorf("after DELSLOTSRANGE through the restarted sentinel:\n%s", info)
	}

	// Everything restarts: the sentinel and the nodes find each other again through what
	// they remembered, at the same epoch, and serve.
	c.Client(c.Nodes[2]).Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "15000", "15001")
	epoch += 2
	c.WaitEpoch(epoch)
	c.RestartAll(nil)
	c.WaitEpoch(epoch)
	// A replica answers -LOADING while it loads its primary's data set (a full sync
	// after the restart), and the cluster client below asks a replica for the slots.
	c.waitFor("cluster_state:ok everywhere, every replica synced", func() bool {
		for _, n := range c.Nodes {
			cl := c.Client(n)
			if !strings.Contains(cl.ClusterInfo(ctx).Val(), "cluster_state:ok") {
				return false
			}
			if info := cl.Info(ctx, "replication").Val(); strings.Contains(info, "role:slave") && !strings.Contains(info, "master_link_status:up") {
				return false
			}
		}
		return true
	})
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[3].Addr().String()}})
	defer cc.Close()
	if err := cc.Set(ctx, "after", "restart", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := cc.Get(ctx, "after").Result(); err != nil || v != "restart" {
		t.Errorf("GET after the restart: %q, %v", v, err)
	}
}

// TestSecretRefused: a node with another cluster secret cannot join the gossip, so it
// learns no sentinel and no topology.
func TestSecretRefused(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 1)
	bad := c.Client(c.StartNode(t.TempDir(), "--port", "0", "--cluster-secret", "not the secret"))
	host, port, _ := net.SplitHostPort(c.Sentinels[0].BusAddr())
	if err := bad.Do(ctx, "CLUSTER", "MEET", host, port, port).Err(); err == nil {
		t.Error("CLUSTER MEET with the wrong secret succeeded")
	}
	if err := bad.Do(ctx, "CLUSTER", "ADDSLOTS", "1").Err(); err == nil || !strings.Contains(err.Error(), "no sentinel known") {
		t.Errorf("CLUSTER ADDSLOTS on the refused node: %v", err)
	}
	good := c.Client(c.Nodes[0])
	if err := good.Do(ctx, "CLUSTER", "ADDSLOTS", "1").Err(); err != nil {
		t.Errorf("CLUSTER ADDSLOTS on a member: %v", err)
	}
	if nodes := good.ClusterNodes(ctx).Val(); strings.Count(nodes, "\n") != 1 {
		t.Errorf("the member's CLUSTER NODES lists more than itself:\n%s", nodes)
	}
}

// TestBlockedRedirect: a client blocked in BLPOP on a key whose slot moves to another
// shard is answered with MOVED to the new owner while one blocked on a key that stays
// keeps waiting; once a slot loses its owner (the cluster is down with
// cluster-require-full-coverage) the rest get CLUSTERDOWN, as Redis answers blocked
// clients after a layout change.
func TestBlockedRedirect(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0) // shard 0: slots 0-8191 on node 0; shard 1: 8192-16383 on node 1
	block := func(key string) chan error {
		done := make(chan error, 1)
		cl := c.Client(c.Nodes[0])
		go func() { done <- cl.BLPop(ctx, 0, key).Err() }()
		return done
	}
	// "{b}x" is in slot 3300, "{c}x" in 7365: both shard 0's.
	moved, stays := block("{b}x"), block("{c}x")
	n0 := c.Client(c.Nodes[0])
	c.waitFor("two clients blocked", func() bool { return strings.Count(n0.ClientList(ctx).Val(), "flags=b") == 2 })
	c.WaitEpoch(c.Propose(slots.Change{Op: slots.OpMoveSlots, Shard: ShardID(0), To: ShardID(1), Slots: "3300"}))
	if err := <-moved; err == nil || err.Error() != "MOVED 3300 "+c.Nodes[1].Addr().String() {
		t.Errorf("BLPOP on a slot that moved: %v", err)
	}
	select {
	case err := <-stays:
		t.Fatalf("BLPOP on a slot that stays ended: %v", err)
	default:
	}
	c.WaitEpoch(c.Propose(slots.Change{Op: slots.OpDropSlots, Shard: ShardID(1), Slots: "3300"}))
	if err := <-stays; err == nil || err.Error() != "CLUSTERDOWN The cluster is down" {
		t.Errorf("BLPOP once the cluster is down: %v", err)
	}
}

// TestNodeNewAddress: a node restarted on another port (as a container or pod comes
// back on another IP) has the topology follow it: the sentinels list its new address,
// and cluster-aware clients find its slots there.
func TestNodeNewAddress(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 3)
	c.Create(0) // node 1 serves 5461-10922; "c" is in slot 7365
	old := c.Nodes[1].Addr().String()
	id := c.Nodes[1].ClusterID()
	c.Nodes[1].Close()
	n := c.StartNode(c.nodeDirs[1], "--port", "0")
	if n.ClusterID() != id || n.Addr().String() == old {
		t.Fatalf("restarted as %s at %s (was %s at %s)", n.ClusterID(), n.Addr(), id, old)
	}
	_, port, _ := net.SplitHostPort(n.Addr().String())
	c.waitFor("the sentinels listing the node's new address", func() bool {
		top, err := sentinelapi.Topology(ctx, c.sentinelAddrs())
		if err != nil {
			return false
		}
		node, _ := top.Node(id)
		return strconv.Itoa(node.Port) == port
	})
	// (the client reads the slots again every 200 ms: the first read may come from a
	// node that has not adopted the new address yet)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond})
	defer cc.Close()
	c.waitFor("a write to the moved node's slot", func() bool { return cc.Set(ctx, "c", "v", 0).Err() == nil })
	if v, err := c.Client(n).Get(ctx, "c").Result(); err != nil || v != "v" {
		t.Errorf("GET c on the node at its new address: %q %v", v, err)
	}
}

// TestClusterJoin: a node given cluster-join (the sentinels' gossip address, as a
// Kubernetes manifest names it) finds the cluster with no CLUSTER MEET.
func TestClusterJoin(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 0)
	n := c.StartNode(t.TempDir(), "--port", "0", "--cluster-join", "nowhere.invalid:1 "+c.Sentinels[0].BusAddr())
	c.waitFor("CLUSTER ADDSLOTSRANGE through the sentinel it joined", func() bool {
		return c.Client(n).Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err() == nil
	})
	c.waitFor("the cluster ok", func() bool {
		return strings.Contains(c.Client(n).ClusterInfo(ctx).Val(), "cluster_state:ok")
	})
}

// TestLayoutFromStaleView: a node whose gossip lags the sentinels' layout does not
// propose a change that layout already made (as shoal cluster create and redis-cli
// --cluster create do: ADDSLOTS on the primaries, then at once REPLICATE on the
// replicas). Here node 1 hears nothing on the gossip once both nodes are in the
// layout: node 0 then gets its shard and every slot, and CLUSTER REPLICATE of
// node 0 on node 1 must join that shard, not propose a second one for node 0.
func TestLayoutFromStaleView(t *testing.T) {
	ctx := context.Background()
	c := StartFaulty(t, 1, 2, nil)
	c.Propose(slots.Change{Op: slots.OpAddNode, Node: NodeInfo(c.Nodes[0])})
	c.WaitEpoch(c.Propose(slots.Change{Op: slots.OpAddNode, Node: NodeInfo(c.Nodes[1])}))
	// Each process's gossip address under a name of its own, so that the gossip can be
	// cut while node 1 still reaches the sentinel's RESP port.
	c.Net.Add("sentinel-0-bus", c.Sentinels[0].BusAddr())
	c.Net.Add("node-0-bus", c.Nodes[0].BusAddr())
	c.Net.Add("node-1-bus", c.Nodes[1].BusAddr())
	c.Net.Partition([]string{nodeName(1)}, []string{"sentinel-0-bus", "node-0-bus"})
	c.Net.Partition([]string{"node-1-bus"}, []string{c.Sentinels[0].ID(), nodeName(0)})
	if err := c.Client(c.Nodes[0]).Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, slots.Count-1).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Client(c.Nodes[1]).Do(ctx, "CLUSTER", "REPLICATE", c.Nodes[0].ClusterID()).Err(); err != nil {
		t.Fatalf("CLUSTER REPLICATE on a node with a stale view: %v", err)
	}
	c.Net.Heal()
	top, err := sentinelapi.Topology(ctx, c.sentinelAddrs())
	if err != nil {
		t.Fatal(err)
	}
	sh, ok := top.ShardOf(c.Nodes[1].ClusterID())
	if !ok || sh.Primary != c.Nodes[0].ClusterID() || len(top.Shards()) != 1 {
		t.Errorf("layout: %d shards, node 1 in %+v", len(top.Shards()), sh)
	}
}

// clusterViews is what a node answers to CLUSTER SLOTS, SHARDS and NODES, without
// what differs between observers of one layout: replication offsets, the "myself"
// flag, ping and pong times; NODES lines sorted.
func clusterViews(ctx context.Context, cl *redis.Client) string {
	slotsView, err1 := cl.ClusterSlots(ctx).Result()
	shards, err2 := cl.ClusterShards(ctx).Result()
	nodes, err3 := cl.ClusterNodes(ctx).Result()
	if err := errors.Join(err1, err2, err3); err != nil {
		return err.Error()
	}
	for i := range shards {
		for j := range shards[i].Nodes {
			shards[i].Nodes[j].ReplicationOffset = 0
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(l)
		if len(f) < 8 {
			return "short CLUSTER NODES line: " + l
		}
		f[2] = strings.Replace(f[2], "myself,", "", 1)
		f[4], f[5] = "0", "0"
		lines = append(lines, strings.Join(f, " "))
	}
	slices.Sort(lines)
	return fmt.Sprintf("%v\n%v\n%s", slotsView, shards, strings.Join(lines, "\n"))
}
