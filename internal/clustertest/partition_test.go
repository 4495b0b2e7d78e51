package clustertest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/history"
)

// A netScenario is a network fault applied to a one-shard cluster (a primary, two
// replicas, three sentinels) once per round, on the fault network: inject sets the
// fault up and returns once it has had its effect; the round then heals the network
// and waits for the shard to be whole again.
type netScenario struct {
	name     string // the subtest's name
	faults   string // what is injected, for RELIABILITY.md
	inject   func(r *netRound)
	nodeArgs []string // directives of the scenario's data nodes, if any
	quick    string   // the one workload make test runs (make chaos runs all); "": all
}

// netRound is one round of a scenario: the cluster, the seeded random source of
// its choices, and the workload's progress.
type netRound struct {
	c       *Cluster
	rnd     *rand.Rand
	primary int        // index in c.Nodes of shard 0's primary when the round began
	ok      func() int // the workload's successful operations so far
	av      *history.Availability
}

// name is node i's name on the fault network.
func nodeName(i int) string { return fmt.Sprintf("node-%d", i) }

// others are the names of every process but node i (sentinels and the other
// nodes; not the workload's clients).
func (r *netRound) others(i int) []string {
	var out []string
	for _, s := range r.c.Sentinels {
		out = append(out, s.ID())
	}
	for j := range r.c.Nodes {
		if j != i {
			out = append(out, nodeName(j))
		}
	}
	return out
}

// allBut are the names of every sentinel of the group and every node, but names.
func (r *netRound) allBut(names ...string) []string {
	var out []string
	for _, s := range r.c.Sentinels {
		out = append(out, s.ID())
	}
	for j := range r.c.Nodes {
		out = append(out, nodeName(j))
	}
	return slices.DeleteFunc(out, func(n string) bool { return slices.Contains(names, n) })
}

// waitNewPrimary waits until the sentinels committed another primary for shard 0.
func (r *netRound) waitNewPrimary() {
	old := r.c.Nodes[r.primary].ClusterID()
	r.c.waitFor("a new primary", func() bool { p, _ := r.c.primaryOf(0); return p != old && p != "" })
}

// waitProgress waits until the workload completed n more operations successfully.
func (r *netRound) waitProgress(n int) {
	mark := r.ok()
	r.c.waitFor(fmt.Sprintf("%d more successful operations", n), func() bool { return r.ok() >= mark+n })
}

var netScenarios = []netScenario{
	{"partition-primary", "the primary cut off from the sentinels and its replicas (clients still reach it) until a replica is promoted",
		func(r *netRound) {
			r.c.Net.Partition([]string{nodeName(r.primary)}, r.others(r.primary))
			r.waitNewPrimary()
		}, nil, ""},
	{"primary-deaf", "one way: nothing reaches the primary from the sentinels and replicas (it still sends) until a replica is promoted",
		func(r *netRound) {
			for _, o := range r.others(r.primary) {
				r.c.Net.Block(o, nodeName(r.primary))
			}
			r.waitNewPrimary()
		}, nil, ""},
	{"primary-mute", "one way: nothing the primary sends reaches the sentinels and replicas (it still hears them) until a replica is promoted",
		func(r *netRound) {
			for _, o := range r.others(r.primary) {
				r.c.Net.Block(nodeName(r.primary), o)
			}
			r.waitNewPrimary()
		}, nil, ""},
	{"minority-side", "the primary and one sentinel (chosen by the seed) cut off from the other two sentinels and the replicas until a replica is promoted",
		func(r *netRound) {
			s := r.c.Sentinels[r.rnd.IntN(len(r.c.Sentinels))].ID()
			side := []string{nodeName(r.primary), s}
			var rest []string
			for _, o := range r.others(r.primary) {
				if o != s {
					rest = append(rest, o)
				}
			}
			r.c.Net.Partition(side, rest)
			r.waitNewPrimary()
		}, nil, ""},
	{"leader-isolated", "the sentinels' Raft leader cut off from every other process until another sentinel leads and 100 more operations succeeded",
		func(r *netRound) {
			var old string
			r.c.waitFor("a Raft leader", func() bool {
				if l := r.c.leader(); l != nil {
					old = l.ID()
				}
				return old != ""
			})
			var rest []string
			for _, s := range r.c.Sentinels {
				if s.ID() != old {
					rest = append(rest, s.ID())
				}
			}
			for j := range r.c.Nodes {
				rest = append(rest, nodeName(j))
			}
			r.c.Net.Partition([]string{old}, rest)
			r.c.waitFor("another leader", func() bool {
				for _, s := range r.c.Sentinels {
					if s.ID() != old && s.Store().IsLeader() {
						return true
					}
				}
				return false
			})
			r.waitProgress(100)
		}, nil, ""},
	{"sentinel-replaced", "a sentinel (chosen by the seed) cut off from every process, forgotten by the group and replaced by a new one; " +
		"then the primary, the forgotten sentinel and one member cut off from the rest until a replica is promoted",
		func(r *netRound) {
			c := r.c
			i := r.rnd.IntN(len(c.Sentinels))
			gone := c.Sentinels[i].ID()
			c.Net.Partition([]string{gone}, r.allBut(gone))
			c.RemoveSentinel(i)
			c.Net.Partition([]string{gone}, []string{fmt.Sprintf("sentinel-%d", c.started)}) // the next one
			c.AddSentinel()
			// The forgotten sentinel still counts itself in the group: it must not keep
			// a primary cut off from the majority writing, or serving reads.
			member := c.Sentinels[r.rnd.IntN(len(c.Sentinels)-1)].ID()
			side := []string{nodeName(r.primary), gone, member}
			c.Net.Heal()
			c.Net.Partition(side, r.allBut(side...))
			r.waitNewPrimary()
			// Its lease ran out before the majority voted it down, whoever else grants:
			// a read is refused at once (not held for a replica's acknowledgement).
			err := c.Client(c.Nodes[r.primary]).Get(context.Background(), "{r}0").Err()
			if err == nil || !strings.HasPrefix(err.Error(), "CLUSTERDOWN") && !strings.HasPrefix(err.Error(), "MOVED") {
				c.t.Errorf("the old primary took a read after a replica was promoted (%v)", err)
			}
		}, nil, "registers-safe"},
	{"full-restart", "every sentinel and data node stopped and started again on its data directory (appendonly yes, appendfsync always)",
		func(r *netRound) { r.c.RestartAll(nil) }, []string{"--appendonly", "yes", "--appendfsync", "always"}, "appends-safe"},
	{"slow-fsync", "every AOF fsync of the primary delayed by 50–250 ms (chosen by the seed) for 30 successful operations (appendonly yes, appendfsync always)",
		func(r *netRound) {
			r.c.SlowDisk(nodeName(r.primary), time.Duration(50+r.rnd.IntN(201))*time.Millisecond)
			r.waitProgress(30)
			r.c.SlowDisk(nodeName(r.primary), 0)
		}, []string{"--appendonly", "yes", "--appendfsync", "always"}, "registers-safe"},
	{"connections-dropped", "every connection of the primary reset, and new ones refused, until 20 operations were tried (a failover may follow)",
		func(r *netRound) {
			r.c.Net.Drop(nodeName(r.primary))
			mark := r.av.Ops()
			r.c.waitFor("operations tried", func() bool { return r.av.Ops() >= mark+20 })
		}, nil, ""},
	{"slow-replication", "the links between the primary and its replicas delayed by 10–60 ms (chosen by the seed) for 100 successful operations",
		func(r *netRound) {
			for j := range r.c.Nodes {
				if j != r.primary {
					r.c.Net.Slow(nodeName(r.primary), nodeName(j), time.Duration(10+r.rnd.IntN(51))*time.Millisecond)
				}
			}
			r.waitProgress(100)
		}, nil, ""},
}

// faultSeed is the seed of the fault schedules: SHOAL_SEED, else the time; logged,
// so a failing run can be replayed.
func faultSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("SHOAL_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("fault schedule seed %d (SHOAL_SEED=%d replays it)", seed, seed)
	return seed
}

// TestPartitions: each fault scenario (network faults, a sentinel replaced, the whole
// cluster restarted), round after round, under three workloads on a one-shard
// cluster with two replicas — registers in safe mode (the history must be
// linearizable), list appends in async mode (no element duplicated or phantom;
// losses logged) and in safe mode (none lost either); registers through the proxy
// too — with the share of successful operations during and outside the faults
// logged. make test runs one round, and some scenarios under one workload only.
func TestPartitions(t *testing.T) {
	seed := faultSeed(t)
	for _, sc := range netScenarios {
		t.Run(sc.name, func(t *testing.T) {
			workloads := []string{"registers-safe", "appends-async", "appends-safe"}
			chaos := Chaos()
			if chaos || sc.name == "partition-primary" {
				workloads = append(workloads, "registers-safe-proxy") // (all of them in make chaos)
			}
			if !chaos && sc.quick != "" {
				workloads = []string{sc.quick}
			}
			for _, w := range workloads {
				t.Run(w, func(t *testing.T) {
					h := fnv.New64a()
					h.Write([]byte(sc.name + "/" + w))
					rnd := rand.New(rand.NewPCG(seed, h.Sum64()))
					mode := "safe"
					if w == "appends-async" {
						mode = "async"
					}
					c := durability(StartFaulty(t, 3, 3, fastTune(nil), sc.nodeArgs...), mode, 2)
					workload := fmt.Sprintf("list appends, %s mode, 2 replicas", mode)
					switch w {
					case "registers-safe":
						workload = "registers, safe mode, 2 replicas, through go-redis ClusterClient"
					case "registers-safe-proxy":
						workload = "registers, safe mode, 2 replicas, through shoal proxy (its links on the fault network too)"
					}
					LogScenario(t, sc.name, fmt.Sprintf("%s, %d rounds", sc.faults, NetRounds()), workload)
					inject := func(ok func() int, av *history.Availability) { c.netRounds(sc, rnd, ok, av) }
					if strings.HasPrefix(w, "registers") {
						RunRegisters(t, c.registerClients(w == "registers-safe-proxy"), inject)
					} else {
						c.runAppends(t, mode, inject)
					}
				})
			}
		})
	}
}

// netRounds runs NetRounds() rounds of scenario sc: each waits until shard 0 is
// whole (a primary, every other node replicating from it with its link up: a replica
// cut off before its first sync finished could never be promoted) and for the
// workload's progress, injects the fault and heals the network.
func (c *Cluster) netRounds(sc netScenario, rnd *rand.Rand, ok func() int, av *history.Availability) {
	c.t.Helper()
	for round := range NetRounds() {
		c.waitShardWhole()
		p, _ := c.primaryOf(0)
		r := &netRound{c: c, rnd: rnd, primary: c.nodeIndex(p), ok: ok, av: av}
		r.waitProgress(100)
		av.Fault(true)
		sc.inject(r)
		c.t.Logf("round %d: %s", round, c.Net.Rules())
		c.Net.Heal()
		c.waitShardWhole()
		av.Fault(false)
	}
}

// waitShardWhole waits until shard 0 has a primary that answers and holds its write
// lease and every other node replicates with its link up; on a timeout it fails the
// test with what each node reported.
func (c *Cluster) waitShardWhole() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, epoch := c.primaryOf(0)
		pi := c.nodeIndex(p)
		if pi >= 0 && LeaseHeld(c.Client(c.Nodes[pi])) && c.replicasUp(pi) {
			return
		}
		if time.Now().After(deadline) {
			var state []string
			for j, n := range c.Nodes {
				info, err := c.Client(n).Info(context.Background(), "replication").Result()
				ci := c.Client(n).ClusterInfo(context.Background()).Val()
				var fields []string
				for _, line := range strings.Split(info+ci, "\r\n") {
					for _, f := range []string{"role:", "master_host:", "master_port:", "master_link_status:", "master_sync_in_progress:", "connected_slaves:", "cluster_current_epoch:", "cluster_write_lease:"} {
						if strings.HasPrefix(line, f) {
							fields = append(fields, line)
						}
					}
				}
				state = append(state, fmt.Sprintf("node %d (%s, %s): %s %v", j, n.Addr(), n.ClusterID()[:8], strings.Join(fields, " "), err))
			}
			c.t.Fatalf("timed out waiting for the shard whole again: committed primary %.8s at epoch %d\n%s", p, epoch, strings.Join(state, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// replicasUp reports whether every node but node pi replicates with its link up.
func (c *Cluster) replicasUp(pi int) bool {
	for j, n := range c.Nodes {
		if j == pi {
			continue
		}
		info, err := c.Client(n).Info(context.Background(), "replication").Result()
		if err != nil || !strings.Contains(info, "master_link_status:up") {
			return false
		}
	}
	return true
}
