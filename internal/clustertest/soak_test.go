package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/proxy"
)

// TestSoak (make soak DURATION=10m; skipped unless SHOAL_SOAK holds a duration):
// a cluster of two shards (a primary and two replicas each, safe mode) under a mixed
// load on every data type — through ClusterClients and through shoal proxy — with a
// primary killed every SHOAL_SOAK_FAILOVER_EVERY (1m) and 100 slots moved between the
// shards every second time. Every 30 s it logs the process's Go heap (after a GC),
// its goroutines and the size of the nodes' datasets (used_memory_dataset). Asserted:
// after the warm-up (the first fifth of the run) the heap and the datasets stay within 1.5× (+16 MB) of
// their warm-up level and the goroutines within 200 of theirs; and no acknowledged
// write is lost (registers written with growing counters, each by one writer, never
// read back lower than the last acknowledged value). SHOAL_SOAK_PROFILES=dir saves a
// heap profile at each sample.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("SHOAL_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("SHOAL_SOAK=<duration> runs the soak (make soak DURATION=10m)")
	}
	every := time.Minute
	if e, err := time.ParseDuration(os.Getenv("SHOAL_SOAK_FAILOVER_EVERY")); err == nil && e > 0 {
		every = e
	}
	ctx := context.Background()
	c := durability(fastFailover(t, 3, 6, nil), "safe", 2)
	seeds := []string{c.Nodes[0].Addr().String(), c.Nodes[3].Addr().String()}
	p, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: seeds, Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	var stop atomic.Bool
	var wg sync.WaitGroup
	var ops, errs atomic.Int64
	mixed := func(id int, cl redis.Cmdable) {
		defer wg.Done()
		rnd := rand.New(rand.NewPCG(uint64(id), 11))
		for !stop.Load() {
			if err := mixedOp(ctx, cl, rnd, id); err != nil && err != redis.Nil {
				errs.Add(1)
				time.Sleep(5 * time.Millisecond)
			}
			ops.Add(1)
		}
	}
	for id := range 4 {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ClusterStateReloadInterval: 200 * time.Millisecond})
		t.Cleanup(func() { cc.Close() })
		wg.Add(1)
		go mixed(id, cc)
	}
	for id := 4; id < 6; id++ {
		pc := redis.NewClient(&redis.Options{Addr: p.Addr()})
		t.Cleanup(func() { pc.Close() })
		wg.Add(1)
		go mixed(id, pc)
	}
	// Registers: writer w owns keys soak:reg:w:0…49 and writes growing counters.
	const writers, regKeys = 2, 50
	acked := make([][]int64, writers)
	for w := range writers {
		acked[w] = make([]int64, regKeys)
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ClusterStateReloadInterval: 200 * time.Millisecond,
			MaxRetries: -1, MaxRedirects: -1, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
		t.Cleanup(func() { cc.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int64(1); !stop.Load(); n++ {
				k := int(n % regKeys)
				if cc.Set(ctx, fmt.Sprintf("soak:reg:%d:%d", w, k), n, 0).Err() == nil {
					acked[w][k] = n // (read after wg.Wait)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}

	type sample struct {
		heap       uint64
		goroutines int
		used       int64
	}
	measure := func() sample {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := sample{heap: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
		for _, n := range c.Nodes {
			// (a client of its own, closed: the harness's Client stays open until
			// the test ends, and its connections would count as growth)
			cl := redis.NewClient(&redis.Options{Addr: n.Addr().String(), Protocol: 2, DisableIdentity: true})
			info := cl.Info(ctx, "memory").Val()
			cl.Close()
			if _, v, ok := strings.Cut(info, "used_memory_dataset:"); ok {
				u, _ := strconv.ParseInt(strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]), 10, 64)
				s.used += u
			}
		}
		return s
	}
	start := time.Now()
	warmEnd := start.Add(d / 5)
	var warm *sample
	var out bytes.Buffer
	a := c.session(&out)
	nextFault, nextSample := start.Add(every), start
	faults := 0
	for time.Since(start) < d {
		if now := time.Now(); now.After(nextSample) {
			s := measure()
			t.Logf("%v: heap %d MB, %d goroutines, nodes' datasets %d MB; %d operations, %d errors",
				now.Sub(start).Round(time.Second), s.heap>>20, s.goroutines, s.used>>20, ops.Load(), errs.Load())
			if dir := os.Getenv("SHOAL_SOAK_PROFILES"); dir != "" {
				if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%03d.pb.gz", int(now.Sub(start).Seconds())))); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			if warm == nil && now.After(warmEnd) {
				warm = &s
			} else if warm != nil {
				if s.heap > warm.heap*3/2+16<<20 || s.used > warm.used*3/2+16<<20 || s.goroutines > warm.goroutines+200 {
					t.Errorf("growth after the warm-up: heap %d → %d, datasets %d → %d, goroutines %d → %d",
						warm.heap, s.heap, warm.used, s.used, warm.goroutines, s.goroutines)
				}
			}
			nextSample = now.Add(30 * time.Second)
		}
		if time.Now().After(nextFault) {
			faults++
			shard := faults % 2
			c.waitShardSynced(shard)
			old, _ := c.primaryOf(shard)
			c.RestartNode(c.nodeIndex(old), func() {
				c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(shard); return p != old && p != "" })
			})
			t.Logf("%v: shard %d's primary killed and replaced", time.Since(start).Round(time.Second), shard)
			if faults%2 == 0 {
				from, to := 0, 1
				if faults%4 == 0 {
					from, to = 1, 0
				}
				f, _ := c.primaryOf(from)
				tt, _ := c.primaryOf(to)
				if err := a.Reshard([]string{f}, tt, 100, admin.MoveOptions{}); err != nil {
					t.Errorf("reshard %d → %d: %v\n%s", from, to, err, out.String())
				}
				t.Logf("%v: 100 slots moved from shard %d to shard %d", time.Since(start).Round(time.Second), from, to)
			}
			nextFault = time.Now().Add(every)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, MaxRedirects: 16})
	defer cc.Close()
	lost := 0
	for w := range writers {
		for k := range regKeys {
			key := fmt.Sprintf("soak:reg:%d:%d", w, k)
			var v int64
			c.waitFor("the register readable", func() bool {
				var err error
				v, err = cc.Get(ctx, key).Int64()
				return err == nil || err == redis.Nil
			})
			if v < acked[w][k] {
				lost++
				t.Errorf("%s: %d acknowledged, %d read", key, acked[w][k], v)
			}
		}
	}
	t.Logf("result: %d operations (%d errors), %d failovers, %d reshards; %d registers read lower than acknowledged",
		ops.Load(), errs.Load(), faults, faults/2, lost)
}

// mixedOp runs one random command of the soak's mixed load on cl: strings, hashes,
// lists, sets, sorted sets, streams and expiry, on a bounded key space per client
// (so memory stays flat).
func mixedOp(ctx context.Context, cl redis.Cmdable, rnd *rand.Rand, id int) error {
	k := fmt.Sprintf("soak:%d:%d", id, rnd.IntN(200))
	m := strconv.Itoa(rnd.IntN(20))
	switch rnd.IntN(12) {
	case 0:
		return cl.Set(ctx, k+":s", rnd.Int64(), 0).Err()
	case 1:
		return cl.Get(ctx, k+":s").Err()
	case 2:
		return cl.Incr(ctx, k+":n").Err()
	case 3:
		return cl.HSet(ctx, k+":h", m, rnd.Int64()).Err()
	case 4:
		return cl.HGetAll(ctx, k+":h").Err()
	case 5:
		if err := cl.LPush(ctx, k+":l", m).Err(); err != nil {
			return err
		}
		return cl.LTrim(ctx, k+":l", 0, 19).Err()
	case 6:
		return cl.LRange(ctx, k+":l", 0, 9).Err()
	case 7:
		if rnd.IntN(2) == 0 {
			return cl.SAdd(ctx, k+":set", m).Err()
		}
		return cl.SRem(ctx, k+":set", m).Err()
	case 8:
		return cl.ZAdd(ctx, k+":z", redis.Z{Score: float64(rnd.IntN(1000)), Member: m}).Err()
	case 9:
		return cl.ZRangeWithScores(ctx, k+":z", 0, 9).Err()
	case 10:
		return cl.XAdd(ctx, &redis.XAddArgs{Stream: k + ":x", MaxLen: 20, Values: []any{"f", m}}).Err()
	default:
		return cl.Expire(ctx, k+":s", time.Duration(1+rnd.IntN(30))*time.Second).Err()
	}
}
