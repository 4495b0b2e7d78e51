package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/clustertest"
	"github.com/shoal-db/shoal/internal/history"
)

// TestPausedPrimary: the fault tests' workloads (internal/clustertest) against a
// shard of data node processes — a primary and two replicas — whose primary is
// stopped (SIGSTOP, as a long GC pause or a stalled VM) until a replica is promoted,
// then continued (SIGCONT), round after round (SHOAL_FAILOVER_ROUNDS, else 1):
// registers in safe mode (the history must be linearizable), list appends in async
// mode (no element duplicated or phantom) and in safe mode (none lost either).
func TestPausedPrimary(t *testing.T) {
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("SHOAL_FAILOVER_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	for _, w := range []string{"registers-safe", "appends-async", "appends-safe"} {
		t.Run(w, func(t *testing.T) {
			mode := "safe"
			if w == "appends-async" {
				mode = "async"
			}
			c, clients, procs := shardCluster(t, 2, "--shard-durability", mode)
			var seeds, ids []string
			for _, cl := range clients {
				seeds = append(seeds, cl.Options().Addr)
				ids = append(ids, cl.Do(context.Background(), "CLUSTER", "MYID").Val().(string))
			}
			workload := fmt.Sprintf("list appends, %s mode, 2 replicas (processes)", mode)
			if w == "registers-safe" {
				workload = "registers, safe mode, 2 replicas (processes), through go-redis ClusterClient"
			}
			clustertest.LogScenario(t, "primary-paused",
				fmt.Sprintf("the primary stopped (SIGSTOP) until a replica is promoted, then continued (SIGCONT), %d rounds", rounds), workload)
			inject := func(ok func() int, av *history.Availability) {
				for range rounds {
					mark := ok()
					waitFor(t, "operations under way", func() bool { return ok() >= mark+100 })
					old := primaryID(c)
					pi := slices.Index(ids, old)
					av.Fault(true)
					if err := procs[pi].Process.Signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
					waitFor(t, "a replica promoted", func() bool { p := primaryID(c); return p != old && p != "" })
					if err := procs[pi].Process.Signal(syscall.SIGCONT); err != nil {
						t.Fatal(err)
					}
					waitFor(t, "the old primary back as a replica", func() bool {
						return strings.Contains(clients[pi].Info(context.Background(), "replication").Val(), "master_link_status:up")
					})
					av.Fault(false)
				}
			}
			if mode == "safe" && w == "registers-safe" {
				clustertest.RunRegisters(t, clustertest.ClusterClients(seeds, nil), inject)
			} else {
				clustertest.RunAppends(t, seeds, nil, mode, inject)
			}
		})
	}
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
