package clustertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/history"
	"github.com/shoal-db/shoal/proxy"
)

// TestLinearizableSafeMode: clients read and write registers (SET of unique values,
// GET) — through go-redis ClusterClients, and through shoal proxy — while the shard's
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
	ctx := context.Background()
	// Two replicas: the promoted one has a replica at once, so safe writes (and the
	// reads waiting on them) go on through the failover instead of timing out, and
	// the history holds few operations of unknown outcome for the checker.
	c := durabilityCluster(t, "safe", 2)
	seeds := []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String(), c.Nodes[2].Addr().String()}
	// No retries: a write whose reply was lost must not be sent again (its outcome is
	// recorded unknown instead). (go-redis's cluster client re-sends a command after a
	// network error unless MaxRedirects is -1; MOVED then ends the operation, failed.)
	newClient := func() redis.UniversalClient {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ClusterStateReloadInterval: 200 * time.Millisecond,
			MaxRetries: -1, MaxRedirects: -1, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	}
	if viaProxy {
		p, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: seeds, Secret: Secret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		newClient = func() redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
		}
	}
	rec := history.NewRecorder()
	var stop atomic.Bool
	var wg sync.WaitGroup
	keys := []string{"{r}0", "{r}1", "{r}2"}
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := newClient()
			defer cc.Close()
			rnd := rand.New(rand.NewPCG(uint64(client), 7))
			for n := 0; !stop.Load(); n++ {
				key := keys[rnd.IntN(len(keys))]
				if rnd.IntN(2) == 0 {
					v := fmt.Sprint(client, "-", n)
					rec.Do(client, history.Register{Key: key, Write: true, Value: v}, func() (history.RegisterOut, error) {
						return history.RegisterOut{}, cc.Set(ctx, key, v, 0).Err()
					})
				} else {
					rec.Do(client, history.Register{Key: key}, func() (history.RegisterOut, error) {
						v, err := cc.Get(ctx, key).Result()
						return history.RegisterOut{Value: v, Found: err == nil}, err
					})
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	c.killPrimaries(func(round int) bool { ok, _, _ := rec.Counts(); return ok > 200*(round+1) })
	stop.Store(true)
	wg.Wait()
	ok, failed, unknown := rec.Counts()
	report := filepath.Join(os.TempDir(), fmt.Sprintf("shoal-linearizability-%d.html", time.Now().UnixNano()))
	res, err := rec.CheckLinearizable(time.Minute, report)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d operations ok, %d failed, %d unknown: %v", ok, failed, unknown, res)
	switch res {
	case porcupine.Illegal:
		text := strings.TrimSuffix(report, ".html") + ".txt"
		if f, err := os.Create(text); err == nil {
			rec.WriteText(f)
			f.Close()
		}
		t.Errorf("the history is not linearizable; its visualization: %s, the operations: %s", report, text)
	case porcupine.Unknown:
		t.Logf("the checker ran out of time")
	}
}

// killPrimaries kills shard 0's primary and starts it again, failoverRounds() times,
// each once busy(round) says the load has made progress, and waits for the old
// primary back as a replica.
func (c *Cluster) killPrimaries(busy func(round int) bool) {
	c.t.Helper()
	for round := range failoverRounds() {
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		c.waitFor("operations under way", func() bool { return busy(round) })
		c.RestartNode(oi, func() {
			c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(0); return p != old && p != "" })
		})
		c.waitFor("the old primary back as a replica", func() bool {
			return strings.Contains(c.Client(c.Nodes[oi]).Info(context.Background(), "replication").Val(), "master_link_status:up")
		})
	}
}

// TestAppendsAcrossFailovers: clients append unique elements to lists while the
// shard's primary is killed round after round; afterwards no list holds an element
// twice or one never acknowledged as sent, and in safe mode none lost either (async
// mode's losses are logged).
func TestAppendsAcrossFailovers(t *testing.T) {
	for _, mode := range []string{"async", "safe"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			c := durabilityCluster(t, mode, 1)
			rec := history.NewAppends()
			var stop atomic.Bool
			var sent atomic.Int64
			var wg sync.WaitGroup
			keys := []string{"{a}0", "{a}1"}
			for client := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()},
						ClusterStateReloadInterval: 200 * time.Millisecond, MaxRetries: -1, MaxRedirects: -1,
						ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
					defer cc.Close()
					for n := 0; !stop.Load(); n++ {
						key, elem := keys[n%len(keys)], fmt.Sprint(client, "-", n)
						err := cc.RPush(ctx, key, elem).Err()
						rec.Record(key, elem, err)
						if err == nil {
							sent.Add(1)
						}
						time.Sleep(time.Millisecond)
					}
				}()
			}
			c.killPrimaries(func(round int) bool { return sent.Load() > int64(300*(round+1)) })
			stop.Store(true)
			wg.Wait()
			cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()}})
			defer cc.Close()
			lists := map[string][]string{}
			for _, k := range keys {
				c.waitFor("the list readable", func() bool {
					var err error
					lists[k], err = cc.LRange(ctx, k, 0, -1).Result()
					return err == nil
				})
			}
			v := rec.Check(lists)
			t.Logf("%s mode: %s", mode, v)
			if len(v.Duplicated) > 0 || len(v.Phantom) > 0 || mode == "safe" && len(v.Lost) > 0 {
				t.Errorf("%s mode: %s: lost %v duplicated %v phantom %v", mode, v, v.Lost, v.Duplicated, v.Phantom)
			}
		})
	}
}
