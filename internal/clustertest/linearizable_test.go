package clustertest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/history"
	"github.com/shoal-db/shoal/proxy"
)

// TestLinearizableSafeMode: clients read and write registers (SET of unique values,
// compare-and-set with EVAL, GET) — through go-redis ClusterClients, and through
// shoal proxy — while the shard's
// primary is killed and started again, round after round; with shard-durability safe
// the recorded history is linearizable (porcupine), with every write of unknown
// outcome allowed to have happened or not. On a violation the visualization and the
// operations are saved and their paths logged.
func TestLinearizableSafeMode(t *testing.T) {
	for _, via := range []string{"cluster-client", "proxy"} {
		t.Run(via, func(t *testing.T) { linearizableSafeMode(t, via == "proxy") })
	}
}

func linearizableSafeMode(t *testing.T, viaProxy bool) {
	// Two replicas: the promoted one has a replica at once, so safe writes (and the
	// reads waiting on them) go on through the failover instead of timing out, and
	// the history holds few operations of unknown outcome for the checker.
	c := durabilityCluster(t, "safe", 2)
	via := "go-redis ClusterClient"
	if viaProxy {
		via = "shoal proxy"
	}
	LogScenario(t, "primary killed", fmt.Sprintf("the primary closed with no warning and started again, %d rounds", failoverRounds()),
		"registers, safe mode, 2 replicas, through "+via)
	RunRegisters(t, c.registerClients(viaProxy), func(ok func() int, av *history.Availability) {
		c.killPrimaries(av, func(round int) bool { return ok() > 200*(round+1) })
	})
}

// registerClients returns the register workload's client maker: go-redis
// ClusterClients (on a fault network, dialing as "client"), or clients of a shoal
// proxy started here (on a fault network, dialing as "proxy").
func (c *Cluster) registerClients(viaProxy bool) func() redis.UniversalClient {
	seeds := []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String(), c.Nodes[2].Addr().String()}
	if viaProxy {
		cfg := proxy.Config{Addr: "127.0.0.1:0", Seeds: seeds, Secret: Secret}
		if c.Net != nil {
			cfg.Faults = c.Net.Endpoint("proxy")
		}
		p, err := proxy.Start(cfg)
		if err != nil {
			c.t.Fatal(err)
		}
		c.t.Cleanup(func() { p.Close() })
		return func() redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
		}
	}
	return ClusterClients(seeds, c.clientDial())
}

// clientDial is the dial function of workload clients: through the fault network
// as "client" when the cluster has one, else nil (go-redis's own).
func (c *Cluster) clientDial() func(context.Context, string, string) (net.Conn, error) {
	if c.Net == nil {
		return nil
	}
	return c.Net.Endpoint("client").Dial
}

// killPrimaries kills shard 0's primary and starts it again, failoverRounds() times,
// each once busy(round) says the load has made progress, and waits for the old
// primary back as a replica.
func (c *Cluster) killPrimaries(av *history.Availability, busy func(round int) bool) {
	c.t.Helper()
	for round := range failoverRounds() {
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		c.waitFor("operations under way", func() bool { return busy(round) })
		av.Fault(true)
		c.RestartNode(oi, func() {
			c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(0); return p != old && p != "" })
		})
		c.waitBackAsReplica(oi)
		av.Fault(false)
	}
}

// waitBackAsReplica waits until node i replicates with its link up.
func (c *Cluster) waitBackAsReplica(i int) {
	c.t.Helper()
	c.waitFor("the old primary back as a replica", func() bool {
		return strings.Contains(c.Client(c.Nodes[i]).Info(context.Background(), "replication").Val(), "master_link_status:up")
	})
}

// TestAppendsAcrossFailovers: clients append unique elements to lists while the
// shard's primary is killed round after round; afterwards no list holds an element
// twice or one never acknowledged as sent, and in safe mode none lost either (async
// mode's losses are logged).
func TestAppendsAcrossFailovers(t *testing.T) {
	for _, mode := range []string{"async", "safe"} {
		t.Run(mode, func(t *testing.T) {
			c := durabilityCluster(t, mode, 1)
			LogScenario(t, "primary killed", fmt.Sprintf("the primary closed with no warning and started again, %d rounds", failoverRounds()),
				fmt.Sprintf("list appends, %s mode, 1 replica", mode))
			c.runAppends(t, mode, func(sent func() int, av *history.Availability) {
				c.killPrimaries(av, func(round int) bool { return sent() > 300*(round+1) })
			})
		})
	}
}

// runAppends runs the append workload — 4 clients appending unique elements to two
// lists of shard 0 (cluster clients, on a fault network dialing as "client") — while
// inject runs (given the count of acknowledged appends so far and the availability
// record to mark its faults in); then it reads the lists and checks that none holds
// an element twice or one never sent, and in safe mode that none lost one (async
// mode's losses are logged).
func (c *Cluster) runAppends(t *testing.T, mode string, inject func(sent func() int, av *history.Availability)) {
	RunAppends(t, []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()}, c.clientDial(), mode, inject)
}
