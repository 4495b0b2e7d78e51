// Command replprobe measures how long a write to a primary takes to show up on a
// replica: it writes a unique value, reads the replica until the value is there, and
// repeats. With -wait it measures instead how long a write and a WAIT 1 0 after it
// take (the time until a replica has acknowledged the write). It prints the median,
// 99th percentile and maximum in milliseconds, one line: "median p99 max". Used by
// scripts/bench-replication.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	primary := flag.String("primary", "127.0.0.1:6379", "the primary's address")
	replica := flag.String("replica", "127.0.0.1:6380", "the replica's address")
	n := flag.Int("n", 200, "samples")
	every := flag.Duration("every", 20*time.Millisecond, "pause between samples")
	wait := flag.Bool("wait", false, "time a write and WAIT 1 0 instead of a write until it is readable on the replica")
	flag.Parse()
	ctx := context.Background()
	p := redis.NewClient(&redis.Options{Addr: *primary, Protocol: 2, DisableIdentity: true})
	r := redis.NewClient(&redis.Options{Addr: *replica, Protocol: 2, DisableIdentity: true})
	defer p.Close()
	defer r.Close()
	var ms []float64
	for i := range *n {
		v := strconv.Itoa(i) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10)
		start := time.Now()
		if err := p.Set(ctx, "replprobe", v, 0).Err(); err != nil {
			fmt.Fprintln(os.Stderr, "replprobe:", err)
			os.Exit(1)
		}
		for *wait {
			n, err := p.Wait(ctx, 1, 0).Result()
			if err != nil {
				fmt.Fprintln(os.Stderr, "replprobe:", err)
				os.Exit(1)
			}
			if n >= 1 {
				break
			}
		}
		for !*wait {
			got, err := r.Get(ctx, "replprobe").Result()
			if err != nil && err != redis.Nil {
				fmt.Fprintln(os.Stderr, "replprobe:", err)
				os.Exit(1)
			}
			if got == v {
				break
			}
			if time.Since(start) > 10*time.Second {
				fmt.Fprintln(os.Stderr, "replprobe: the write did not reach the replica in 10 s")
				os.Exit(1)
			}
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		time.Sleep(*every)
	}
	slices.Sort(ms)
	fmt.Printf("%.2f %.2f %.2f\n", ms[len(ms)/2], ms[len(ms)*99/100], ms[len(ms)-1])
}
