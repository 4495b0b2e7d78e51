package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/slots"
)

// syncBuffer is an io.Writer safe for concurrent use (the sentinels' event logs).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fastFailover starts a cluster whose sentinels find a node down after 400 ms (and
// still promote a replica whose link has been down for 20 s).
func fastFailover(t *testing.T, sentinels, nodes int, events *syncBuffer) *Cluster {
	return StartTuned(t, sentinels, nodes, func(cfg *failover.SentinelConfig) {
		cfg.DownAfter, cfg.ProbeEvery, cfg.ValidityFactor = 400*time.Millisecond, 50*time.Millisecond, 50
		if events != nil {
			cfg.Events = events
		}
		if testing.Verbose() && events != nil {
			cfg.Events = io.MultiWriter(os.Stderr, events)
		}
	})
}

// primaryOf is the primary of shard i in sentinel 0's committed topology (or, when
// it is down, the first sentinel that answers).
func (c *Cluster) primaryOf(i int) (string, uint64) {
	for _, s := range c.Sentinels {
		top := s.Store().Topology()
		for _, sh := range top.Shards() {
			if sh.ID == ShardID(i) {
				return sh.Primary, top.Epoch()
			}
		}
	}
	return "", 0
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
	events := &syncBuffer{}
	c := fastFailover(t, 3, 4, events)
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	// go-redis reads the slots again only on MOVED or every ClusterStateReloadInterval
	// (60 s by default): a dead primary answers neither.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[2].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond})
	defer cc.Close()
	key := slotKey(0, 2, "k")
	c.waitFor("the first write", func() bool { return cc.Set(ctx, key, "0", 0).Err() == nil })

	rounds := 4
	if testing.Short() {
		rounds = 2
	}
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

// replicaOf is the first replica of shard i in the committed topology.
func (c *Cluster) replicaOf(i int) string {
	for _, s := range c.Sentinels {
		for _, sh := range s.Store().Topology().Shards() {
			if sh.ID == ShardID(i) && len(sh.Replicas) > 0 {
				return sh.Replicas[0]
			}
		}
	}
	return ""
}

// TestNoMajorityNoFailover: with only one of three sentinels left, primaries lose
// their write leases (writes refused, reads too by default) and a dead primary is
// found down but not replaced; once the sentinels are back, it is.
func TestNoMajorityNoFailover(t *testing.T) {
	ctx := context.Background()
	c := fastFailover(t, 3, 4, &syncBuffer{})
	epoch := c.Create(1)
	p2 := c.Client(c.Nodes[2]) // primary of shard 1
	key := slotKey(1, 2, "k")
	c.waitFor("a write to shard 1", func() bool { return p2.Set(ctx, key, "v", 0).Err() == nil })

	lead := c.leader()
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
}
