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
)

// TestLinearizableSafeMode: clients read and write registers (SET of unique values,
// GET) through go-redis ClusterClients while the shard's primary is killed and
// started again, round after round; with shard-durability safe the recorded history
// is linearizable (porcupine), with every write of unknown outcome allowed to have
// happened or not. On a violation the visualization is saved and its path logged.
func TestLinearizableSafeMode(t *testing.T) {
	ctx := context.Background()
	c := fastFailover(t, 3, 2, nil)
	for _, n := range c.Nodes {
		if err := c.Client(n).ConfigSet(ctx, "shard-durability", "safe").Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.NodeArgs = []string{"--shard-durability", "safe"} // for the restarts
	c.Create(1)                                         // one shard: node 0 + node 1
	rec := history.NewRecorder()
	var stop atomic.Bool
	var wg sync.WaitGroup
	keys := []string{"{r}0", "{r}1", "{r}2"}
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No retries: a write whose reply was lost must not be sent again (its
			// outcome is recorded unknown instead). Redirections are followed.
			cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()},
				ClusterStateReloadInterval: 200 * time.Millisecond, MaxRetries: -1, MaxRedirects: -1,
				ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
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
	for round := range failoverRounds() {
		old, _ := c.primaryOf(0)
		oi := c.nodeIndex(old)
		c.waitFor("operations under way", func() bool { ok, _, _ := rec.Counts(); return ok > 200*(round+1) })
		c.RestartNode(oi, func() {
			c.waitFor("a new primary", func() bool { p, _ := c.primaryOf(0); return p != old && p != "" })
		})
		c.waitFor("the old primary back as a replica", func() bool {
			return strings.Contains(c.Client(c.Nodes[oi]).Info(ctx, "replication").Val(), "master_link_status:up")
		})
	}
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
