package clustertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
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
	logScenario(t, "primary killed", fmt.Sprintf("the primary closed with no warning and started again, %d rounds", failoverRounds()),
		"registers, safe mode, 2 replicas, through "+via)
	runRegisters(t, c.registerClients(viaProxy), func(ok func() int, av *history.Availability) {
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
	// No retries: a write whose reply was lost must not be sent again (its outcome is
	// recorded unknown instead). (go-redis's cluster client re-sends a command after a
	// network error unless MaxRedirects is -1; MOVED then ends the operation, failed.)
	return func() redis.UniversalClient {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ClusterStateReloadInterval: 200 * time.Millisecond,
			MaxRetries: -1, MaxRedirects: -1, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, Dialer: c.clientDial()})
	}
}

// clientDial is the dial function of workload clients: through the fault network
// as "client" when the cluster has one, else nil (go-redis's own).
func (c *Cluster) clientDial() func(context.Context, string, string) (net.Conn, error) {
	if c.Net == nil {
		return nil
	}
	return c.Net.Endpoint("client").Dial
}

// casScript sets KEYS[1] to ARGV[2] if it holds ARGV[1], and answers 1 if it did.
const casScript = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]) return 1 end return 0`

// runRegisters runs the register workload — 4 clients reading and writing three
// registers (SET of unique values, compare-and-set with EVAL, GET) through clients
// of newClient — while inject
// runs (given the count of successful operations so far and the availability
// record to mark its faults in), then checks that the history is linearizable. On a
// violation the visualization and the operations are saved and their paths logged.
func runRegisters(t *testing.T, newClient func() redis.UniversalClient, inject func(ok func() int, av *history.Availability)) {
	ctx := context.Background()
	rec, av := history.NewRecorder(), new(history.Availability)
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
			seen := map[string]string{} // the last value this client read of each key
			for n := 0; !stop.Load(); n++ {
				key, v := keys[rnd.IntN(len(keys))], fmt.Sprint(client, "-", n)
				switch rnd.IntN(3) {
				case 0:
					rec.Do(client, history.Register{Key: key, Write: true, Value: v}, func() (history.RegisterOut, error) {
						return history.RegisterOut{}, av.Time(func() error { return cc.Set(ctx, key, v, 0).Err() })
					})
				case 1:
					old := seen[key]
					rec.Do(client, history.Register{Key: key, Cas: true, Old: old, Value: v}, func() (history.RegisterOut, error) {
						var swapped int64
						err := av.Time(func() (err error) {
							swapped, err = cc.Eval(ctx, casScript, []string{key}, old, v).Int64()
							return err
						})
						return history.RegisterOut{Swapped: swapped == 1}, err
					})
				default:
					out, err := rec.Do(client, history.Register{Key: key}, func() (history.RegisterOut, error) {
						var v string
						err := av.Time(func() (err error) { v, err = cc.Get(ctx, key).Result(); return err })
						return history.RegisterOut{Value: v, Found: err == nil}, err
					})
					if err == nil {
						seen[key] = out.Value
					}
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	inject(func() int { ok, _, _ := rec.Counts(); return ok }, av)
	stop.Store(true)
	wg.Wait()
	ok, failed, unknown := rec.Counts()
	report := filepath.Join(os.TempDir(), fmt.Sprintf("shoal-linearizability-%d.html", time.Now().UnixNano()))
	res, err := rec.CheckLinearizable(time.Minute, report)
	if err != nil {
		t.Fatal(err)
	}
	verdict := map[porcupine.CheckResult]string{porcupine.Ok: "linearizable", porcupine.Illegal: "NOT linearizable"}[res]
	if verdict == "" {
		verdict = "the checker ran out of time"
	}
	t.Logf("availability: %s", av)
	t.Logf("result: %d operations ok, %d failed, %d unknown; %s", ok, failed, unknown, verdict)
	switch res {
	case porcupine.Illegal:
		text := strings.TrimSuffix(report, ".html") + ".txt"
		if f, err := os.Create(text); err == nil {
			rec.WriteText(f)
			f.Close()
		}
		t.Errorf("the history is not linearizable; its visualization: %s, the operations: %s", report, text)
	}
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
			logScenario(t, "primary killed", fmt.Sprintf("the primary closed with no warning and started again, %d rounds", failoverRounds()),
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
	runAppends(t, []string{c.Nodes[0].Addr().String(), c.Nodes[1].Addr().String()}, c.clientDial(), mode, inject)
}

// runAppends is the append workload against any Redis Cluster: seeds are node
// addresses for the cluster clients, dial their dial function (nil: go-redis's own).
func runAppends(t *testing.T, seeds []string, dial func(context.Context, string, string) (net.Conn, error), mode string,
	inject func(sent func() int, av *history.Availability)) {
	ctx := context.Background()
	rec, av := history.NewAppends(), new(history.Availability)
	var stop atomic.Bool
	var sent atomic.Int64
	var wg sync.WaitGroup
	keys := []string{"{a}0", "{a}1"}
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, Dialer: dial,
				ClusterStateReloadInterval: 200 * time.Millisecond, MaxRetries: -1, MaxRedirects: -1,
				ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
			defer cc.Close()
			for n := 0; !stop.Load(); n++ {
				key, elem := keys[n%len(keys)], fmt.Sprint(client, "-", n)
				err := av.Time(func() error { return cc.RPush(ctx, key, elem).Err() })
				rec.Record(key, elem, err)
				if err == nil {
					sent.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	inject(func() int { return int(sent.Load()) }, av)
	stop.Store(true)
	wg.Wait()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds})
	defer cc.Close()
	lists := map[string][]string{}
	for _, k := range keys {
		waitUntil(t, "the list readable", func() bool {
			var err error
			lists[k], err = cc.LRange(ctx, k, 0, -1).Result()
			return err == nil
		})
	}
	v := rec.Check(lists)
	t.Logf("availability: %s", av)
	t.Logf("result: %s", v)
	if len(v.Duplicated) > 0 || len(v.Phantom) > 0 || mode == "safe" && len(v.Lost) > 0 {
		t.Errorf("%s mode: %s: lost %v duplicated %v phantom %v", mode, v, v.Lost, v.Duplicated, v.Phantom)
	}
}

// logScenario logs what a fault test runs, for scripts/reliability.sh's table.
func logScenario(t *testing.T, scenario, faults, workload string) {
	t.Logf("scenario: %s | %s | %s", scenario, faults, workload)
}
