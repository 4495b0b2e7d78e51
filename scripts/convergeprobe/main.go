// Command convergeprobe measures how long a new cluster epoch takes to reach every
// node: the time from making the change to the last node reporting the epoch in
// CLUSTER INFO (cluster_current_epoch), polled over one connection per node.
//
// With -sentinel (shoal), the change is a commit of the sentinel group: a slot marked
// migrating, then back (two commits per round). Without it (Redis Cluster), the
// change is CLUSTER BUMPEPOCH on each node in turn, spread by Redis's own gossip.
// It prints the median, 90th percentile and maximum in milliseconds, one line:
// "median p90 max". Used by scripts/bench-convergence.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

func main() {
	nodes := flag.String("nodes", "", "the nodes' addresses, comma-separated")
	sentinel := flag.String("sentinel", "", "a sentinel's RESP address (shoal); none for Redis Cluster")
	n := flag.Int("n", 40, "samples")
	flag.Parse()
	ctx := context.Background()
	var clients []*redis.Client
	for _, a := range strings.Split(*nodes, ",") {
		c := redis.NewClient(&redis.Options{Addr: a, Protocol: 2, DisableIdentity: true, PoolSize: 1})
		defer c.Close()
		clients = append(clients, c)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "convergeprobe:", err)
		os.Exit(1)
	}
	target, err := clients[len(clients)-1].Do(ctx, "CLUSTER", "MYID").Text()
	if err != nil {
		fail(err)
	}
	var ms []float64
	for i := range *n {
		start := time.Now()
		var epoch uint64
		if *sentinel != "" {
			ch := slots.Change{Op: slots.OpSetMigration, Slots: "0", NodeID: target}
			if i%2 == 1 {
				ch = slots.Change{Op: slots.OpClearMigration, Slots: "0"}
			}
			epoch, err = sentinelapi.Propose(ctx, []string{*sentinel}, ch)
		} else {
			var s string
			s, err = clients[i%len(clients)].Do(ctx, "CLUSTER", "BUMPEPOCH").Text()
			if f := strings.Fields(s); err == nil && len(f) == 2 {
				epoch, err = strconv.ParseUint(f[1], 10, 64)
			}
		}
		if err != nil {
			fail(err)
		}
		for _, c := range clients {
			for {
				info, err := c.ClusterInfo(ctx).Result()
				if err != nil {
					fail(err)
				}
				if e, _ := strconv.ParseUint(field(info, "cluster_current_epoch"), 10, 64); e >= epoch {
					break
				}
				if time.Since(start) > 30*time.Second {
					fail(fmt.Errorf("epoch %d did not reach %s in 30 s", epoch, c.Options().Addr))
				}
			}
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		time.Sleep(20 * time.Millisecond)
	}
	slices.Sort(ms)
	fmt.Printf("%.1f %.1f %.1f\n", ms[len(ms)/2], ms[len(ms)*9/10], ms[len(ms)-1])
}

// field is the value of name in an INFO-style text.
func field(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}
