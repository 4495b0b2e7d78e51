package clustertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/history"
)

// The workloads of the fault tests, for any cluster a test runs (in-process ones here,
// data node processes in cmd/shoal, real Redis Clusters): they record every operation
// and check the history when the faults are over.

// Chaos reports whether the fault tests run as make chaos does (SHOAL_FAILOVER_ROUNDS
// set): every workload of every scenario, for that many rounds.
func Chaos() bool { return os.Getenv("SHOAL_FAILOVER_ROUNDS") != "" }

// NetRounds is the number of rounds of each fault scenario: SHOAL_FAILOVER_ROUNDS,
// else 1.
func NetRounds() int {
	if n, err := strconv.Atoi(os.Getenv("SHOAL_FAILOVER_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// LeaseHeld reports whether the node cl talks to answers and holds its write lease.
func LeaseHeld(cl *redis.Client) bool {
	return strings.Contains(cl.Info(context.Background(), "cluster").Val(), "cluster_write_lease:1")
}

// ClusterClients returns the register workload's client maker for go-redis
// ClusterClients seeded with seeds, dialing through dial (nil: go-redis's own).
func ClusterClients(seeds []string, dial func(context.Context, string, string) (net.Conn, error)) func() redis.UniversalClient {
	// No retries: a write whose reply was lost must not be sent again (its outcome is
	// recorded unknown instead). (go-redis's cluster client re-sends a command after a
	// network error unless MaxRedirects is -1; MOVED then ends the operation, failed.)
	return func() redis.UniversalClient {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ClusterStateReloadInterval: 200 * time.Millisecond,
			MaxRetries: -1, MaxRedirects: -1, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, Dialer: dial})
	}
}

// casScript sets KEYS[1] to ARGV[2] if it holds ARGV[1], and answers 1 if it did.
const casScript = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]) return 1 end return 0`

// RunRegisters runs the register workload — 4 clients reading and writing three
// registers (SET of unique values, compare-and-set with EVAL, GET) through clients
// of newClient — while inject
// runs (given the count of successful operations so far and the availability
// record to mark its faults in), then checks that the history is linearizable. On a
// violation the visualization and the operations are saved and their paths logged.
func RunRegisters(t testing.TB, newClient func() redis.UniversalClient, inject func(ok func() int, av *history.Availability)) {
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

// RunAppends is the append workload against any Redis Cluster: seeds are node
// addresses for the cluster clients, dial their dial function (nil: go-redis's own).
func RunAppends(t testing.TB, seeds []string, dial func(context.Context, string, string) (net.Conn, error), mode string,
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

// LogScenario logs what a fault test runs, for scripts/reliability.sh's table.
func LogScenario(t testing.TB, scenario, faults, workload string) {
	t.Logf("scenario: %s | %s | %s", scenario, faults, workload)
}
