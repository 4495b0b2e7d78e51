// Command moveprobe loads keys into a range of slots of a running cluster (shoal or
// Redis Cluster), and measures what a reshard of those slots does to a client:
//
//	moveprobe -seed host:port -load 1000000 -slots 1000 [-first 0] [-big 300]
//	    loads N string keys spread over slots first..first+slots-1 (pipelined), and
//	    with -big a hash of that many MB and a 1,000,000-member sorted set in the
//	    first of them;
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
	nslots := flag.Int("slots", 1000, "the keys go to slots first..first+slots-1")
	first := flag.Int("first", 0, "the first slot of the keys")
	bigMB := flag.Int("big", 0, "with -load: also a hash of this many MB and a 1,000,000-member sorted set")
	keys := flag.Int("keys", 0, "with a command: how many keys were loaded (checked afterwards)")
	flag.Parse()
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{*seed}, MaxRedirects: 32,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	defer cc.Close()
	tags := tagsFor(*first, *nslots)
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
		if *bigMB > 0 {
			loadBig(ctx, cc, tags[0], *bigMB)
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
	hlen, zcard := cc.HLen(ctx, tags[0]+":bighash").Val(), cc.ZCard(ctx, tags[0]+":bigzset").Val()
	time.Sleep(500 * time.Millisecond) // the load running
	ops.Store(0)
	t0 := time.Now()
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	failed := 0
	if err != nil {
		failed = 1
		fmt.Fprintf(os.Stderr, "moveprobe: %s: %v\n%s\n", strings.Join(flag.Args(), " "), err, tail(out))
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
		if _, err := cc.Get(ctx, key(i)).Result(); err != nil && failed == 0 {
			fail("%s after the reshard: %v", key(i), err)
		}
	}
	if h, z := cc.HLen(ctx, tags[0]+":bighash").Val(), cc.ZCard(ctx, tags[0]+":bigzset").Val(); failed == 0 && (h != hlen || z != zcard) {
		fail("the big keys after the reshard: %d fields (had %d), %d members (had %d)", h, hlen, z, zcard)
	}
	fmt.Printf("ms=%d ops=%d errors=%d max_stall_ms=%.1f p99_ms=%.2f ask=%d failed=%d\n", took.Milliseconds(), ops.Load(), errs.Load(),
		float64(lat[len(lat)-1].Microseconds())/1000, float64(p99.Microseconds())/1000, ask, failed)
	if e, _ := firstErr.Load().(string); e != "" {
		fmt.Fprintln(os.Stderr, "first error:", e)
	}
}

// tagsFor returns a hash tag for each slot first..first+n-1.
func tagsFor(first, n int) []string {
	out, left := make([]string, n), n
	for i := 0; left > 0; i++ {
		k := strconv.Itoa(i)
		if sl := slots.KeySlot([]byte(k)) - first; sl >= 0 && sl < n && out[sl] == "" {
			out[sl] = "{" + k + "}"
			left--
		}
	}
	return out
}

// loadBig adds to tag's slot a hash of about mb MB (100-byte values) and a sorted set
// of 1,000,000 members.
func loadBig(ctx context.Context, cc *redis.ClusterClient, tag string, mb int) {
	val := strings.Repeat("v", 100)
	fields := mb << 20 / 110
	for start := 0; start < fields; start += 100000 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+100000, fields); i += 1000 {
				args := make([]any, 0, 2000)
				for j := i; j < min(i+1000, fields); j++ {
					args = append(args, "f"+strconv.Itoa(j), val)
				}
				p.HSet(ctx, tag+":bighash", args...)
			}
			return nil
		})
		if err != nil {
			fail("loading the big hash: %v", err)
		}
	}
	for start := 0; start < 1000000; start += 100000 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < start+100000; i += 1000 {
				zs := make([]redis.Z, 0, 1000)
				for j := i; j < i+1000; j++ {
					zs = append(zs, redis.Z{Score: float64(j), Member: "m" + strconv.Itoa(j)})
				}
				p.ZAdd(ctx, tag+":bigzset", zs...)
			}
			return nil
		})
		if err != nil {
			fail("loading the big sorted set: %v", err)
		}
	}
}

// tail is the last lines of a command's output.
func tail(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(len(lines)-5, 0):], "\n")
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "moveprobe: "+format+"\n", args...)
	os.Exit(1)
}
