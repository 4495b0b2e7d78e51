package main

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/clustertest"
	"github.com/shoal-db/shoal/internal/history"
)

// processShard is a shard of data node processes (a primary and two replicas) with
// in-process sentinels, as a fault scenario sees it.
type processShard struct {
	t       *testing.T
	c       *clustertest.Cluster
	clients []*redis.Client
	procs   []*exec.Cmd
	ids     []string // the nodes' cluster IDs
}

// primary is the index of the shard's primary in the latest topology its sentinels
// applied (-1: none).
func (s *processShard) primary() int { return slices.Index(s.ids, primaryID(s.c)) }

// whole reports whether the shard's primary answers and holds its write lease and
// every other node replicates with its link up.
func (s *processShard) whole() bool {
	ctx := context.Background()
	pi := s.primary()
	if pi < 0 || !clustertest.LeaseHeld(s.clients[pi]) {
		return false
	}
	for j, cl := range s.clients {
		if j != pi && !strings.Contains(cl.Info(ctx, "replication").Val(), "master_link_status:up") {
			return false
		}
	}
	return true
}

// runProcessScenario runs the fault tests' workloads (internal/clustertest) against a
// processShard whose nodes run with args, under fault, round after round
// (clustertest.NetRounds): registers in safe mode (the history must be linearizable), list
// appends in async mode (no element duplicated or phantom) and in safe mode (none
// lost either) — quick only under make test (SHOAL_FAILOVER_ROUNDS unset), all three
// in make chaos. Each round waits until the shard is whole and 100 more operations
// succeeded, runs fault, and waits until the shard is whole again.
func runProcessScenario(t *testing.T, name, faults, quick string, args []string, fault func(s *processShard)) {
	rounds := clustertest.NetRounds()
	workloads := []string{"registers-safe", "appends-async", "appends-safe"}
	if !clustertest.Chaos() && quick != "" {
		workloads = []string{quick}
	}
	for _, w := range workloads {
		t.Run(w, func(t *testing.T) {
			mode := "safe"
			if w == "appends-async" {
				mode = "async"
			}
			c, clients, procs := shardCluster(t, 2, append([]string{"--shard-durability", mode}, args...)...)
			s := &processShard{t: t, c: c, clients: clients, procs: procs}
			var seeds []string
			for _, cl := range clients {
				seeds = append(seeds, cl.Options().Addr)
				s.ids = append(s.ids, cl.Do(context.Background(), "CLUSTER", "MYID").Val().(string))
			}
			workload := fmt.Sprintf("list appends, %s mode, 2 replicas (processes)", mode)
			if w == "registers-safe" {
				workload = "registers, safe mode, 2 replicas (processes), through go-redis ClusterClient"
			}
			clustertest.LogScenario(t, name, fmt.Sprintf("%s, %d rounds", faults, rounds), workload)
			inject := func(ok func() int, av *history.Availability) {
				for range rounds {
					waitFor(t, "the shard whole", s.whole)
					mark := ok()
					waitFor(t, "operations under way", func() bool { return ok() >= mark+100 })
					av.Fault(true)
					fault(s)
					waitFor(t, "the shard whole again", s.whole)
					av.Fault(false)
				}
			}
			if w == "registers-safe" {
				clustertest.RunRegisters(t, clustertest.ClusterClients(seeds, nil), inject)
			} else {
				clustertest.RunAppends(t, seeds, nil, mode, inject)
			}
		})
	}
}

// TestPausedPrimary: the primary process is stopped (SIGSTOP, as a long GC pause or a
// stalled VM) until a replica is promoted, then continued (SIGCONT) and waited for
// as a replica of the new primary (see runProcessScenario for the workloads).
func TestPausedPrimary(t *testing.T) {
	runProcessScenario(t, "primary-paused", "the primary stopped (SIGSTOP) until a replica is promoted, then continued (SIGCONT)", "", nil,
		func(s *processShard) {
			old := s.primary()
			if err := s.procs[old].Process.Signal(syscall.SIGSTOP); err != nil {
				s.t.Fatal(err)
			}
			waitFor(s.t, "a replica promoted", func() bool { p := s.primary(); return p != old && p >= 0 })
			if err := s.procs[old].Process.Signal(syscall.SIGCONT); err != nil {
				s.t.Fatal(err)
			}
		})
}

// TestAllKilled: every data node process is killed at once (SIGKILL) and the
// sentinels stopped; all start again on their data directories (appendonly yes,
// appendfsync always) and find each other through what they remembered. No
// acknowledged write may be lost in safe mode (see runProcessScenario).
func TestAllKilled(t *testing.T) {
	runProcessScenario(t, "all-killed",
		"every data node process killed (SIGKILL) and the sentinels stopped, all started again on their data directories (appendonly yes, appendfsync always)",
		"appends-safe", []string{"--appendonly", "yes", "--appendfsync", "always"},
		func(s *processShard) {
			s.c.RestartAll(func() {
				for _, p := range s.procs {
					kill9(s.t, p)
				}
				for i, p := range s.procs {
					s.procs[i] = startAgain(s.t, p, s.clients[i])
				}
			})
		})
}

// primaryID is the primary of the cluster's only shard in the latest topology its
// sentinels applied.
func primaryID(c *clustertest.Cluster) string {
	var primary string
	var epoch uint64
	for _, s := range c.Sentinels {
		top := s.Store().Topology()
		if sh := top.Shards(); len(sh) > 0 && top.Epoch() >= epoch {
			primary, epoch = sh[0].Primary, top.Epoch()
		}
	}
	return primary
}
