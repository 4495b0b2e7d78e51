package clustertest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
)

// session is an admin session (shoal cluster) against c's sentinels, printing into
// out.
func (c *Cluster) session(out *bytes.Buffer) *admin.Admin {
	var addrs []string
	for _, s := range c.Sentinels {
		addrs = append(addrs, s.Addr())
	}
	a := admin.New(addrs, out, nil)
	c.t.Cleanup(a.Close)
	return a
}

// load runs clients that overwrite and read back keys k0…k<n-1> through a
// ClusterClient until stop is called; stop returns how many operations ran and the
// errors the application saw.
func load(addr string, n, clients int) (stop func() (int64, []error)) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	var (
		done = make(chan struct{})
		wg   sync.WaitGroup
		ops  atomic.Int64
		mu   sync.Mutex
		errs []error
	)
	for w := range clients {
		wg.Go(func() {
			ctx := context.Background()
			for i := w; ; i += clients {
				select {
				case <-done:
					return
				default:
				}
				k := "k" + strconv.Itoa(i%n)
				err := cc.Set(ctx, k, i%n, 0).Err()
				if err == nil {
					var v int
					if v, err = cc.Get(ctx, k).Int(); err == nil && v != i%n {
						err = errors.New(k + " = " + strconv.Itoa(v))
					}
				}
				ops.Add(1)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	return func() (int64, []error) {
		close(done)
		wg.Wait()
		cc.Close()
		return ops.Load(), errs
	}
}

// fill writes k0…k<n-1> = i through a ClusterClient, pipelined.
func fill(t *testing.T, addr string, n int) {
	t.Helper()
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	defer cc.Close()
	for start := 0; start < n; start += 1000 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+1000, n); i++ {
				p.Set(ctx, "k"+strconv.Itoa(i), i, 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// verify reads k0…k<n-1> back through a fresh ClusterClient.
func verify(t *testing.T, addr string, n int) {
	t.Helper()
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	defer cc.Close()
	for start := 0; start < n; start += 1000 {
		var gets []*redis.StringCmd
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+1000, n); i++ {
				gets = append(gets, p.Get(ctx, "k"+strconv.Itoa(i)))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for j, g := range gets {
			if v, err := g.Int(); err != nil || v != start+j {
				t.Fatalf("k%d = %d, %v", start+j, v, err)
			}
		}
	}
}

// TestAdminCommands: shoal cluster create lays out six nodes (three primaries with a
// replica each) through the sentinels; under ClusterClient load, add-node brings in an
// empty primary and a replica of it, rebalance --use-empty-masters gives the new
// primary its share, rebalance with weight 0 empties it again, del-node removes it
// (its replica moves to another primary); check and info report as redis-cli does,
// the application sees no error and every key is readable at the end.
func TestAdminCommands(t *testing.T) {
	c := Start(t, 3, 8)
	var out bytes.Buffer
	a := c.session(&out)
	addr := func(i int) string { return c.Nodes[i].Addr().String() }
	expect := func(err error, wants ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		for _, w := range wants {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("want %q in:\n%s", w, out.String())
			}
		}
		out.Reset()
	}
	expect(a.Create([]string{addr(0), addr(1), addr(2), addr(3), addr(4), addr(5)}, 1),
		"Master[2] -> Slots 10923 - 16383", "Adding replica "+addr(3)+" to "+addr(0),
		"[OK] All nodes agree about slots configuration.", "[OK] All 16384 slots covered.",
		"   slots:[5461-10922] (5462 slots) master\n   1 additional replica(s)")
	if err := a.Create([]string{addr(0)}, 0); err == nil || !strings.Contains(err.Error(), "already part of the cluster") {
		t.Errorf("create with a member node: %v", err)
	}
	const keys = 3000
	fill(t, addr(0), keys)
	stop := load(addr(0), keys, 4)

	expect(a.AddNode(addr(6), false, ""), "[OK] New node added correctly.", "M: "+c.Nodes[6].ClusterID()+" "+addr(6)+"\n   slots: (0 slots) master")
	expect(a.AddNode(addr(7), true, c.Nodes[6].ClusterID()[:8]), "[OK] New node added correctly.", "replicates "+c.Nodes[6].ClusterID())
	expect(a.Rebalance(nil, false, 2, false, admin.MoveOptions{}), "No rebalancing needed")
	expect(a.Rebalance(nil, true, 2, false, admin.MoveOptions{Batch: 200}), "[OK] Moved 4096 slots")
	expect(a.Info(), addr(6)+" ("+c.Nodes[6].ClusterID()[:8]+"...) -> ", "| 4096 slots | 1 slaves.", "keys in 4 masters.")
	expect(a.Rebalance(map[string]float64{addr(6): 0}, false, 2, false, admin.MoveOptions{}), "[OK] Moved 4096 slots")
	if err := a.DelNode(c.Nodes[0].ClusterID()); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("del-node of a primary with slots: %v", err)
	}
	out.Reset()
	expect(a.DelNode(c.Nodes[6].ClusterID()), "Moving replica "+addr(7), "Sending CLUSTER RESET SOFT to the deleted node.")
	expect(a.Check(), "[OK] All 16384 slots covered.")

	ops, errs := stop()
	if len(errs) > 0 {
		t.Errorf("%d of %d operations failed under the moves; first: %v", len(errs), ops, errs[0])
	}
	t.Logf("%d operations under load, %d errors", ops, len(errs))
	verify(t, addr(0), keys)
	if err := c.session(&out).Check(); err != nil {
		t.Fatal(err, out.String())
	}
	if strings.Contains(out.String(), addr(6)) || strings.Count(out.String(), "S: ") != 4 {
		t.Errorf("after del-node:\n%s", out.String())
	}
}

// TestLiveReshard: shoal cluster reshard moves 1,000 slots holding 100,000 keys
// between two primaries while ClusterClients read and write them; the application
// sees no error and every key is readable afterwards.
func TestLiveReshard(t *testing.T) {
	keys := 100_000
	if testing.Short() {
		keys = 10_000
	}
	c := Start(t, 1, 2)
	c.Create(0) // shard 0: slots 0-8191 on node 0; shard 1: 8192-16383 on node 1
	addr := c.Nodes[0].Addr().String()
	fill(t, addr, keys)
	stop := load(addr, keys, 4)
	var out bytes.Buffer
	start := time.Now()
	if err := c.session(&out).Reshard([]string{c.Nodes[0].ClusterID()}, c.Nodes[1].ClusterID(), 1000, admin.MoveOptions{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	took := time.Since(start)
	ops, errs := stop()
	if len(errs) > 0 {
		t.Errorf("%d of %d operations failed under the reshard; first: %v", len(errs), ops, errs[0])
	}
	t.Logf("reshard of 1000 slots with %d keys: %v (%d operations under load)", keys, took, ops)
	verify(t, addr, keys)
	ctx := context.Background()
	n0, n1 := c.Client(c.Nodes[0]).DBSize(ctx).Val(), c.Client(c.Nodes[1]).DBSize(ctx).Val()
	if n0+n1 != int64(keys) || n1 < int64(keys)*1000/16384*8/10 {
		t.Errorf("%d + %d keys after the reshard, want %d with ~%d on node 1", n0, n1, keys, keys*1000/16384)
	}
}
