package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/internal/history"
	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/slots"
)

// failoverRounds is how many failovers the kill tests run: $SHOAL_FAILOVER_ROUNDS
// (make test-failover: 20), else 4 (2 with -short).
func failoverRounds() int {
	if n, err := strconv.Atoi(os.Getenv("SHOAL_FAILOVER_ROUNDS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 2
	}
	return 4
}

// durabilityCluster starts a fastFailover cluster of one shard (node 0, primary, and
// replicas more nodes) with shard-durability mode (async or safe), restarts included.
func durabilityCluster(t *testing.T, mode string, replicas int) *Cluster {
	t.Helper()
	return durability(fastFailover(t, 3, 1+replicas, nil), mode, replicas)
}

// durability sets shard-durability mode on every node of c (restarts included) and
// lays it out as one shard with replicas replicas.
func durability(c *Cluster, mode string, replicas int) *Cluster {
	t := c.t
	for _, n := range c.Nodes {
		if err := c.Client(n).ConfigSet(context.Background(), "shard-durability", mode).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.NodeArgs = append(c.NodeArgs, "--shard-durability", mode) // for the restarts
	c.Create(replicas)
	return c
}

// fastFailover starts a cluster whose sentinels find a node down after 400 ms (and
// still promote a replica whose link has been down for 20 s).
func fastFailover(t *testing.T, sentinels, nodes int, events *SyncBuffer) *Cluster {
	return StartTuned(t, sentinels, nodes, fastTune(events))
}

// fastTune is fastFailover's sentinel configuration.
func fastTune(events *SyncBuffer) func(*failover.SentinelConfig) {
	return func(cfg *failover.SentinelConfig) {
		cfg.DownAfter, cfg.ProbeEvery, cfg.ValidityFactor = 400*time.Millisecond, 50*time.Millisecond, 50
		if events != nil {
			cfg.Events = events
		}
		if testing.Verbose() && events != nil {
			cfg.Events = io.MultiWriter(os.Stderr, events)
		}
	}
}

// topology is the latest topology any of the sentinels (running or stopped) applied.
func (c *Cluster) topology() *slots.Topology {
	var best *slots.Topology
	for _, s := range c.Sentinels {
		if top := s.Store().Topology(); best == nil || top.Epoch() > best.Epoch() {
			best = top
		}
	}
	return best
}

// primaryOf is the primary of shard i in the latest committed topology, and its
// epoch.
func (c *Cluster) primaryOf(i int) (string, uint64) {
	top := c.topology()
	for _, sh := range top.Shards() {
		if sh.ID == ShardID(i) {
			return sh.Primary, top.Epoch()
		}
	}
	return "", top.Epoch()
}

// nodeIndex is the index in c.Nodes of the node with cluster ID id.
func (c *Cluster) nodeIndex(id string) int {
	for i, n := range c.Nodes {
		if n.ClusterID() == id {
			return i
		}
	}
	return -1
}

// slotKey is a key of a slot of shard i of an evenly split cluster of shards shards.
func slotKey(i, shards int, tag string) string {
	for k := 0; ; k++ {
		key := fmt.Sprintf("%s-%d", tag, k)
		if slots.KeySlot([]byte(key))*shards/slots.Count == i {
			return key
		}
	}
}

// TestFailoverKill: the primary of a shard dies under a ClusterClient's writes; the
// sentinels promote its replica with a higher epoch, the writes go on, and the old
// primary comes back as a replica of the new one. Several rounds, back and forth.
func TestFailoverKill(t *testing.T) {
	ctx := context.Background()
	events := &SyncBuffer{}
	c := fastFailover(t, 3, 4, events)
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	// go-redis reads the slots again only on MOVED or every ClusterStateReloadInterval
	// (60 s by default): a dead primary answers neither.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[2].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond})
	defer cc.Close()
	key := slotKey(0, 2, "k")
	c.waitFor("the first write", func() bool { return cc.Set(ctx, key, "0", 0).Err() == nil })

	rounds := failoverRounds()
	_, lastEpoch := c.primaryOf(0)
	for round := 1; round <= rounds; round++ {
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		want := fmt.Sprint(round)
		c.waitFor("the write before the kill", func() bool { return cc.Set(ctx, key, want, 0).Err() == nil })
		c.waitFor("the replica in sync", func() bool {
			ri := c.nodeIndex(c.replicaOf(0))
			return ri >= 0 && c.ReadOnlyClient(c.Nodes[ri]).Get(ctx, key).Val() == want
		})
		var restarted *node.Server
		c.RestartNode(oi, func() {
			c.waitFor("a new primary for shard 0", func() bool {
				p, epoch := c.primaryOf(0)
				if p != old && p != "" {
					if epoch <= lastEpoch {
						t.Fatalf("round %d: epoch %d after %d", round, epoch, lastEpoch)
					}
					lastEpoch = epoch
					return true
				}
				return false
			})
			c.waitFor("a write after the failover", func() bool {
				err := cc.Set(ctx, key, want+"+", 0).Err()
				if err != nil && testing.Verbose() {
					t.Log(err)
				}
				return err == nil
			})
		})
		restarted = c.Nodes[oi]
		// The old primary returns as a replica of the new one, with its data.
		c.waitFor("the old primary replicating from the new one", func() bool {
			info := c.Client(restarted).Info(ctx, "replication").Val()
			return strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") &&
				c.ReadOnlyClient(restarted).Get(ctx, key).Val() == want+"+"
		})
	}
	log := events.String()
	for _, ev := range []string{"+sdown master " + ShardID(0), "+odown master " + ShardID(0), "+switch-master " + ShardID(0)} {
		if !strings.Contains(log, ev) {
			t.Errorf("no %q event in:\n%s", ev, log)
		}
	}
}

// replicaOf is the first replica of shard i in the latest committed topology.
func (c *Cluster) replicaOf(i int) string {
	for _, sh := range c.topology().Shards() {
		if sh.ID == ShardID(i) && len(sh.Replicas) > 0 {
			return sh.Replicas[0]
		}
	}
	return ""
}

// waitShardSynced waits until every replica of shard i in the latest committed
// topology has its link to the primary up: a replica whose first sync has not
// finished could never be promoted.
func (c *Cluster) waitShardSynced(i int) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("shard %d's replicas in sync", i), func() bool {
		for _, sh := range c.topology().Shards() {
			if sh.ID != ShardID(i) {
				continue
			}
			for _, id := range sh.Replicas {
				ri := c.nodeIndex(id)
				if ri < 0 || !strings.Contains(c.Client(c.Nodes[ri]).Info(context.Background(), "replication").Val(), "master_link_status:up") {
					return false
				}
			}
			return true
		}
		return false
	})
}

// TestNoMajorityNoFailover: with only one of three sentinels left, primaries lose
// their write leases (writes refused, reads too by default) and a dead primary is
// found down but not replaced; once the sentinels are back, it is.
func TestNoMajorityNoFailover(t *testing.T) {
	ctx := context.Background()
	c := fastFailover(t, 3, 4, &SyncBuffer{})
	epoch := c.Create(1)
	p2 := c.Client(c.Nodes[2]) // primary of shard 1
	key := slotKey(1, 2, "k")
	c.waitFor("a write to shard 1", func() bool { return p2.Set(ctx, key, "v", 0).Err() == nil })

	c.waitFor("a sentinel leader", func() bool { return c.leader() != nil })
	lead := c.leader() // the one left running
	var down []int
	for i, s := range c.Sentinels {
		if s != lead && len(down) < 2 {
			down = append(down, i)
			c.stopSentinel(i)
		}
	}
	// The leader alone is no majority: leases run out.
	c.waitFor("writes refused without a sentinel majority", func() bool {
		err := p2.Set(ctx, key, "w", 0).Err()
		return err != nil && strings.HasPrefix(err.Error(), "CLUSTERDOWN")
	})
	if err := p2.Get(ctx, key).Err(); err == nil || !strings.HasPrefix(err.Error(), "CLUSTERDOWN") {
		t.Errorf("GET on a primary without a lease: %v, want CLUSTERDOWN", err)
	}
	if err := p2.FlushAll(ctx).Err(); err == nil || err.Error() != "CLUSTERDOWN The cluster is down" {
		t.Errorf("FLUSHALL on a primary without a lease: %v, want CLUSTERDOWN", err)
	}
	// (INFO's lease fields follow the renewal attempts, a moment after the refusals.)
	c.waitFor("INFO cluster of a primary that lost its lease", func() bool {
		info := p2.Info(ctx, "cluster").Val()
		return strings.Contains(info, "cluster_write_lease:0") && strings.Contains(info, "cluster_write_lease_lost:1")
	})
	// A dead primary is found down, but not replaced.
	c.Nodes[0].Close()
	cl := c.SentinelClient(lead)
	n0 := NodeInfo(c.Nodes[0])
	c.waitFor("the dead primary down for the remaining sentinel", func() bool {
		r, err := cl.Do(ctx, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", n0.IP, n0.Port, 0, "*").Slice()
		return err == nil && r[0] == int64(1)
	})
	// It cannot lead the group alone, so it commits nothing.
	c.waitFor("no sentinel leader", func() bool { return !lead.Store().IsLeader() })
	if p, e := c.primaryOf(0); p != c.Nodes[0].ClusterID() || e != epoch {
		t.Fatalf("shard 0 failed over without a sentinel majority (primary %s, epoch %d)", p, e)
	}
	for _, i := range down {
		c.startSentinelAgain(i)
	}
	c.waitFor("shard 0 failed over once the sentinels are back", func() bool {
		p, _ := c.primaryOf(0)
		return p == c.Nodes[1].ClusterID()
	})
	c.waitFor("writes accepted again", func() bool { return p2.Set(ctx, key, "x", 0).Err() == nil })
}

// TestLeaseReadsWhenDown: a primary without its lease serves reads when
// cluster-allow-reads-when-down is set, and refuses writes with Redis's text.
func TestLeaseReadsWhenDown(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 1)
	c.Create(0)
	cl := c.Client(c.Nodes[0])
	if err := cl.ConfigSet(ctx, "cluster-allow-reads-when-down", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	c.waitFor("a write", func() bool { return cl.Set(ctx, "k", "v", 0).Err() == nil })
	c.Sentinels[0].Close()
	c.waitFor("writes refused", func() bool {
		err := cl.Set(ctx, "k", "w", 0).Err()
		return err != nil && err.Error() == "CLUSTERDOWN The cluster is down and only accepts read commands"
	})
	if v, err := cl.Get(ctx, "k").Result(); err != nil || v == "" {
		t.Errorf("GET without a lease, reads allowed: %q %v", v, err)
	}
	if err := cl.Eval(ctx, "return redis.call('set', KEYS[1], 'x')", []string{"k"}).Err(); err == nil ||
		!strings.HasPrefix(err.Error(), "CLUSTERDOWN") {
		t.Errorf("a script's write without a lease: %v, want CLUSTERDOWN", err)
	}
}

// TestPausedWriteRedirected: a write held by CLIENT PAUSE on a primary that is
// replaced meanwhile is decided anew when the pause ends: MOVED to the new primary,
// never run on the old one.
func TestPausedWriteRedirected(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(1) // one shard: node 0 + node 1
	p := c.Client(c.Nodes[0])
	c.waitFor("a write", func() bool { return p.Set(ctx, "k", "v", 0).Err() == nil })
	c.waitFor("the replica in sync", func() bool { return c.ReadOnlyClient(c.Nodes[1]).Get(ctx, "k").Val() == "v" })
	if err := p.Do(ctx, "CLIENT", "PAUSE", "20000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() { held <- c.Client(c.Nodes[0]).Set(ctx, "k", "lost", 0).Err() }()
	c.waitFor("the write held by the pause", func() bool {
		return strings.Contains(p.Info(ctx, "clients").Val(), "blocked_clients:1")
	})
	epoch := c.Propose(slots.Change{Op: slots.OpSetPrimary, Shard: ShardID(0), NodeID: c.Nodes[1].ClusterID()})
	c.WaitEpoch(epoch)
	if err := p.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	err := <-held
	n1 := NodeInfo(c.Nodes[1])
	if err == nil || !strings.HasPrefix(err.Error(), "MOVED") || !strings.HasSuffix(err.Error(), fmt.Sprintf("%s:%d", n1.IP, n1.Port)) {
		t.Fatalf("the held write answered %v, want MOVED to the new primary", err)
	}
	if v := c.Client(c.Nodes[1]).Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("k = %q on the new primary, want v", v)
	}
}

// writer writes unique keys {tag}:i through cc until stopped, and returns the keys
// whose writes were acknowledged.
func writer(cc *redis.ClusterClient, tag string) (stop func() []string) {
	done := make(chan struct{})
	var acked []string
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			k := fmt.Sprintf("{%s}:%d", tag, i)
			if cc.Set(ctx, k, i, 0).Err() == nil {
				acked = append(acked, k)
			} else {
				time.Sleep(time.Millisecond) // (a dead node refuses at once)
			}
		}
	}()
	return func() []string {
		close(done)
		<-finished
		return acked
	}
}

// TestManualFailover: CLUSTER FAILOVER on a replica under writes swaps it with its
// primary with no acknowledged write lost; on a primary it is refused; FORCE
// promotes a replica whose primary is dead; shoal cluster failover does it by shard.
func TestManualFailover(t *testing.T) {
	ctx := context.Background()
	// Failure detection after 10 s: only the manual failovers happen.
	c := StartTuned(t, 3, 4, func(cfg *failover.SentinelConfig) { cfg.DownAfter = 10 * time.Second })
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[2].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond})
	defer cc.Close()
	tag := slotKey(0, 2, "t")
	c.waitFor("a write", func() bool { return cc.Set(ctx, "{"+tag+"}", 1, 0).Err() == nil })
	stop := writer(cc, tag)
	c.waitFor("some writes", func() bool { return c.Client(c.Nodes[0]).DBSize(ctx).Val() > 100 })
	if err := c.Client(c.Nodes[1]).Do(ctx, "CLUSTER", "FAILOVER").Err(); err != nil {
		t.Fatalf("CLUSTER FAILOVER: %v", err)
	}
	if p, _ := c.primaryOf(0); p != c.Nodes[1].ClusterID() {
		t.Fatalf("after CLUSTER FAILOVER shard 0's primary is %s", p)
	}
	c.waitFor("writes to the new primary", func() bool { return c.Client(c.Nodes[1]).DBSize(ctx).Val() > 200 })
	acked := stop()
	for _, k := range acked {
		if err := cc.Get(ctx, k).Err(); err != nil {
			t.Fatalf("acknowledged write %s: %v (of %d)", k, err, len(acked))
		}
	}
	c.waitFor("the old primary replicating", func() bool {
		return strings.Contains(c.Client(c.Nodes[0]).Info(ctx, "replication").Val(), "master_link_status:up")
	})
	if err := c.Client(c.Nodes[1]).Do(ctx, "CLUSTER", "FAILOVER").Err(); err == nil ||
		err.Error() != "ERR You should send CLUSTER FAILOVER to a replica" {
		t.Errorf("CLUSTER FAILOVER on a primary: %v", err)
	}
	if err := c.Client(c.Nodes[0]).Do(ctx, "CLUSTER", "FAILOVER", "NOW").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Errorf("CLUSTER FAILOVER NOW: %v", err)
	}

	// The primary dies: a graceful failover is refused, FORCE promotes.
	c.Nodes[1].Close()
	if err := c.Client(c.Nodes[0]).Do(ctx, "CLUSTER", "FAILOVER").Err(); err == nil ||
		err.Error() != "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE" {
		t.Errorf("CLUSTER FAILOVER with the primary dead: %v", err)
	}
	if err := c.Client(c.Nodes[0]).Do(ctx, "CLUSTER", "FAILOVER", "FORCE").Err(); err != nil {
		t.Fatalf("CLUSTER FAILOVER FORCE: %v", err)
	}
	if p, _ := c.primaryOf(0); p != c.Nodes[0].ClusterID() {
		t.Fatalf("after CLUSTER FAILOVER FORCE shard 0's primary is %s", p)
	}
	c.waitFor("a write after the forced failover", func() bool { return cc.Set(ctx, "{"+tag+"}", 2, 0).Err() == nil })

	// shoal cluster failover <shard>.
	var out bytes.Buffer
	if err := c.session(&out).Failover(ShardID(1), false); err != nil {
		t.Fatalf("shoal cluster failover: %v\n%s", err, out.String())
	}
	if p, _ := c.primaryOf(1); p != c.Nodes[3].ClusterID() || !strings.Contains(out.String(), "[OK]") {
		t.Fatalf("after shoal cluster failover shard 1's primary is %s\n%s", p, out.String())
	}
}

// TestSafeMode: with shard-durability safe, a primary acknowledges a write only once
// its replica has it, so killing the primary at any moment under writes loses none of
// the acknowledged ones (rounds back and forth); a primary without a replica refuses
// writes (NOREPLICAS).
func TestSafeMode(t *testing.T) {
	ctx := context.Background()
	c := durabilityCluster(t, "safe", 1) // one shard: node 0 + node 1
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond, MaxRetries: -1})
	defer cc.Close()
	rounds := failoverRounds()
	var acked []string
	for round := range rounds {
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		tag := fmt.Sprintf("r%d", round)
		c.waitFor("a safe write", func() bool { return cc.Set(ctx, "{"+tag+"}", 1, 0).Err() == nil })
		var stops []func() []string
		for w := range 4 {
			stops = append(stops, writer(cc, fmt.Sprintf("%s-%d", tag, w)))
		}
		start := c.Client(c.Nodes[oi]).DBSize(ctx).Val()
		c.waitFor("writes under way", func() bool { return c.Client(c.Nodes[oi]).DBSize(ctx).Val() > start+50 })
		c.RestartNode(oi, func() {
			c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(0); return p != old && p != "" })
		})
		c.waitFor("safe writes to the new primary", func() bool { return cc.Set(ctx, "{"+tag+"}", 2, 0).Err() == nil })
		for _, stop := range stops {
			acked = append(acked, stop()...)
		}
		for _, k := range acked {
			if err := cc.Get(ctx, k).Err(); err != nil {
				t.Fatalf("round %d: acknowledged write %s: %v (of %d)", round, k, err, len(acked))
			}
		}
		c.waitFor("the old primary back as a replica", func() bool {
			return strings.Contains(c.Client(c.Nodes[oi]).Info(ctx, "replication").Val(), "master_link_status:up")
		})
	}
	t.Logf("%d acknowledged writes, none lost", len(acked))
	// Without its replica a safe primary refuses writes.
	p, _ := c.primaryOf(0)
	replica := c.Nodes[1-c.nodeIndex(p)]
	replica.Close()
	pc := c.Client(c.Nodes[c.nodeIndex(p)])
	c.waitFor("NOREPLICAS without the replica", func() bool {
		err := pc.Set(ctx, "{r0}", 3, 0).Err()
		return err != nil && err.Error() == "NOREPLICAS Not enough good replicas to write."
	})
}

// ackHeld starts a safe-mode shard of a primary and a replica on the fault network
// with shard-durability-timeout timeout (ms), writes {k}=v1 and then holds the
// replica's acknowledgements; it returns the cluster, the primary's index and a
// client of it.
func ackHeld(t *testing.T, timeout string) (*Cluster, int, *redis.Client) {
	t.Helper()
	c := durability(StartFaulty(t, 3, 2, nil, "--shard-durability-timeout", timeout), "safe", 1)
	p, _ := c.primaryOf(0)
	pi := c.nodeIndex(p)
	pc := c.Client(c.Nodes[pi])
	c.waitFor("a safe write", func() bool { return pc.Set(context.Background(), "{k}", "v1", 0).Err() == nil })
	c.Net.Block(nodeName(1-pi), nodeName(pi))
	return c, pi, pc
}

// TestSafeLateAck: in safe mode a replica's acknowledgement that reaches the primary
// only after its write lease ran out does not count (the sentinels may have promoted
// another replica without the write meanwhile): the client's connection is closed
// instead of an OK, and shard_durability_timeouts counts it. Here the
// acknowledgements are held on the fault network while every sentinel stops (so the
// lease runs out and no failover happens), then let through.
func TestSafeLateAck(t *testing.T) {
	ctx := context.Background()
	c, pi, pc := ackHeld(t, "60000")
	cl := redis.NewClient(&redis.Options{Addr: c.Nodes[pi].Addr().String(), MaxRetries: -1, ReadTimeout: time.Minute})
	defer cl.Close()
	done := make(chan error, 1)
	go func() { done <- cl.Set(ctx, "{k}", "v2", 0).Err() }()
	c.waitFor("the write waiting for its acknowledgement", func() bool {
		return strings.Contains(pc.Info(ctx, "clients").Val(), "blocked_clients:1")
	})
	for _, s := range c.Sentinels {
		s.Close()
	}
	c.waitFor("the primary's write lease run out", func() bool {
		return strings.Contains(pc.Info(ctx, "cluster").Val(), "cluster_write_lease:0")
	})
	c.Net.Heal()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a write acknowledged by the replica after the primary's lease ran out was answered OK")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write is still waiting after its late acknowledgement")
	}
	if info := pc.Info(ctx, "replication").Val(); !strings.Contains(info, "shard_durability_timeouts:1") {
		t.Errorf("the late acknowledgement not counted:\n%s", info)
	}
}

// TestPrimaryWiped: a primary killed and started again on an empty data directory, at
// the same address, is a new node: the sentinels do not take its answers for the old
// primary's (its CLUSTER MYID differs), they promote the replica, no acknowledged
// append is lost (safe mode), and the new node serves none of the shard's keys.
func TestPrimaryWiped(t *testing.T) {
	// Two replicas: the promoted one keeps one, so safe writes go on.
	c := durabilityCluster(t, "safe", 2)
	LogScenario(t, "primary wiped", "the primary closed with no warning and started again at the same address on an empty data directory",
		"list appends, safe mode, 2 replicas")
	c.runAppends(t, "safe", func(sent func() int, av *history.Availability) {
		c.waitFor("appends under way", func() bool { return sent() > 300 })
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		av.Fault(true)
		n := c.RestartNode(oi, func() {
			entries, _ := os.ReadDir(c.nodeDirs[oi])
			for _, e := range entries {
				os.RemoveAll(filepath.Join(c.nodeDirs[oi], e.Name()))
			}
		})
		c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(0); return p != old && p != "" })
		mark := sent()
		c.waitFor("appends going on", func() bool { return sent() > mark+100 })
		av.Fault(false)
		if n.ClusterID() == old {
			t.Fatal("the node started on an empty directory has the old node's ID")
		}
		if err := c.Client(n).LLen(context.Background(), "{a}0").Err(); err == nil {
			t.Error("the wiped node answered for the shard's key")
		}
	})
}

// TestSafeReadsHeld: in safe mode nothing a client reads may be a write no replica has
// yet — a plain GET, a script that only reads (EVAL, lock-all: it names keys but runs
// on every stripe), a transaction whose last command reads no key and the commands
// that walk the keyspace (KEYS, SCAN, DBSIZE, RANDOMKEY) all wait for the
// replica's acknowledgement (here held on the fault network: the connection closes
// after shard-durability-timeout) instead of answering the unreplicated value. (A
// compare-and-set script that answered "no swap" from such a value was found by the
// minority-side scenario.)
func TestSafeReadsHeld(t *testing.T) {
	ctx := context.Background()
	c, pi, pc := ackHeld(t, "300")
	if err := pc.Set(ctx, "{k}", "v2", 0).Err(); err == nil {
		t.Fatal("a safe write acknowledged while the replica's acknowledgements are held")
	}
	reads := map[string]func(cl *redis.Client) (any, error){
		"GET": func(cl *redis.Client) (any, error) { return cl.Get(ctx, "{k}").Result() },
		"EVAL": func(cl *redis.Client) (any, error) {
			return cl.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"{k}"}).Result()
		},
		"MULTI GET PING EXEC": func(cl *redis.Client) (any, error) {
			var get *redis.StringCmd
			_, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error { get = p.Get(ctx, "{k}"); p.Ping(ctx); return nil })
			return get.Val(), err
		},
		"KEYS":      func(cl *redis.Client) (any, error) { return cl.Keys(ctx, "*").Result() },
		"DBSIZE":    func(cl *redis.Client) (any, error) { return cl.DBSize(ctx).Result() },
		"RANDOMKEY": func(cl *redis.Client) (any, error) { return cl.RandomKey(ctx).Result() },
		"SCAN": func(cl *redis.Client) (any, error) {
			keys, _, err := cl.Scan(ctx, 0, "", 0).Result()
			return keys, err
		},
	}
	for name, read := range reads {
		v, err := read(c.Client(c.Nodes[pi]))
		if err == nil || v == "v2" {
			t.Errorf("%s answered %v (%v) before the replica had the write", name, v, err)
		}
	}
	c.Net.Heal()
	c.waitFor("the write replicated and readable", func() bool { return pc.Get(ctx, "{k}").Val() == "v2" })
}
