// Command moveprobe loads keys into a range of slots of a running cluster (shoal or
// Redis Cluster), and measures what a reshard of those slots does to a client:
//
//	moveprobe -seed host:port -load 1000000 -slots 1000
//	    loads N string keys spread over slots 0..slots-1 (pipelined);
//	moveprobe -seed host:port -slots 1000 -- command args...
//	    runs the command (a reshard) while 4 go-redis ClusterClients read and write
//	    keys of those slots, and prints "ms=… ops=… errors=… max_stall_ms=… p99_ms=…
//	    ask=…": the command's time, the operations done meanwhile, errors the
//	    application saw, the longest and 99th-percentile operation, and the ASK
//	    replies the nodes gave (INFO errorstats, summed). Then it checks every key.
//
// Used by scripts/bench-move.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
)

func main() {
	seed := flag.String("seed", "", "a node's address")
	load := flag.Int("load", 0, "load this many keys and exit")
	nslots := flag.Int("slots", 1000, "the keys go to slots 0..slots-1")
	keys := flag.Int("keys", 0, "with a command: how many keys were loaded (checked afterwards)")
	flag.Parse()
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{*seed}, MaxRedirects: 32,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	defer cc.Close()
	tags := tagsFor(*nslots)
	key := func(i int) string { return tags[i%len(tags)] + ":" + strconv.Itoa(i) }
	if *load > 0 {
		for start := 0; start < *load; start += 10000 {
			_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := start; i < min(start+10000, *load); i++ {
					p.Set(ctx, key(i), i, 0)
				}
				return nil
			})
			if err != nil {
				fail("loading: %v", err)
			}
		}
		return
	}
	if flag.NArg() == 0 || *keys <= 0 {
		fail("usage: moveprobe -seed host:port -keys N [-slots 1000] -- command args...")
	}
	var stop atomic.Bool
	var ops, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; !stop.Load(); i++ {
				j := (i*7919 + w*104729) % *keys
				t0 := time.Now()
				var err error
				if i%2 == 0 {
					err = cc.Get(ctx, key(j)).Err()
				} else {
					err = cc.Set(ctx, key(j), j, 0).Err()
				}
				mine = append(mine, time.Since(t0))
				ops.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	time.Sleep(500 * time.Millisecond) // the load running
	ops.Store(0)
	t0 := time.Now()
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		fail("%s: %v\n%s", strings.Join(flag.Args(), " "), err, out)
	}
	slices.Sort(lat)
	p99 := lat[len(lat)*99/100]
	ask := 0
	err = cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
		for _, line := range strings.Split(c.Info(ctx, "errorstats").Val(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "errorstat_ASK:count="); ok {
				n, _ := strconv.Atoi(v)
				ask += n
			}
		}
		return nil
	})
	if err != nil {
		fail("INFO errorstats: %v", err)
	}
	for i := range *keys {
		if _, err := cc.Get(ctx, key(i)).Result(); err != nil {
			fail("%s after the reshard: %v", key(i), err)
		}
	}
	fmt.Printf("ms=%d ops=%d errors=%d max_stall_ms=%.1f p99_ms=%.2f ask=%d\n", took.Milliseconds(), ops.Load(), errs.Load(),
		float64(lat[len(lat)-1].Microseconds())/1000, float64(p99.Microseconds())/1000, ask)
	if e, _ := firstErr.Load().(string); e != "" {
		fmt.Fprintln(os.Stderr, "first error:", e)
	}
}

// tagsFor returns a hash tag for each slot 0..n-1.
func tagsFor(n int) []string {
	out, left := make([]string, n), n
	for i := 0; left > 0; i++ {
		k := strconv.Itoa(i)
		if sl := slots.KeySlot([]byte(k)); sl < n && out[sl] == "" {
			out[sl] = "{" + k + "}"
			left--
		}
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "moveprobe: "+format+"\n", args...)
	os.Exit(1)
}
