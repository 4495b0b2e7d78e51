package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/internal/clustertest"
)

// TestFailoverStalledPrimary: a primary process stopped (SIGSTOP, as a long GC pause or
// a stalled VM) for longer than down-after is replaced; when it runs again, every
// write its clients sent meanwhile is refused — it lost its lease before the replica
// was promoted — and it turns into a replica of the new primary.
func TestFailoverStalledPrimary(t *testing.T) {
	ctx := context.Background()
	clients, procs := shardProcs(t, 1) // node 0 primary, node 1 its replica
	primary, replica := clients[0], clients[1]
	waitFor(t, "a write and the replica linked", func() bool {
		return primary.Set(ctx, "k", "v", 0).Err() == nil &&
			strings.Contains(replica.Info(ctx, "replication").Val(), "master_link_status:up")
	})

	// Writers on the primary, each one write at a time, recording when each was sent.
	type op struct {
		sent time.Time
		err  error
	}
	var (
		mu   sync.Mutex
		ops  []op
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	for w := range 4 {
		cl := redis.NewClient(&redis.Options{Addr: clients[0].Options().Addr, MaxRetries: -1, PoolSize: 1, ReadTimeout: 30 * time.Second})
		defer cl.Close()
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				sent := time.Now()
				err := cl.Set(ctx, "w"+strconv.Itoa(w), i, 0).Err()
				mu.Lock()
				ops = append(ops, op{sent, err})
				mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	waitFor(t, "writes under way", func() bool { mu.Lock(); defer mu.Unlock(); return len(ops) > 100 })
	if err := procs[0].Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	waitFor(t, "the replica promoted and taking writes", func() bool { return replica.Set(ctx, "k", "new", 0).Err() == nil })
	if err := procs[0].Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old primary replicating from the new one", func() bool {
		info := primary.Info(ctx, "replication").Val()
		return strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
	})
	// (The writes in flight when it stalled were sent before; wait for later ones.)
	waitFor(t, "writes sent after the stall", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(ops, func(o op) bool { return o.sent.After(stopped.Add(5 * time.Millisecond)) })
	})
	close(done)
	wg.Wait()
	refused := 0
	for _, o := range ops {
		if o.sent.After(stopped.Add(5 * time.Millisecond)) {
			if o.err == nil {
				t.Fatalf("a write sent %v after the primary stalled was acknowledged by it", o.sent.Sub(stopped))
			}
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("no write was sent to the stalled primary")
	}
	t.Logf("%d writes sent to the stalled primary, all refused", refused)
}

// shardProcs starts 3 in-process sentinels (down-after 500 ms) and a shard of data
// node processes — a primary and replicas replicas — and returns clients of the
// nodes and their processes, in that order.
func shardProcs(t *testing.T, replicas int) ([]*redis.Client, []*exec.Cmd) {
	_, clients, procs := shardCluster(t, replicas)
	return clients, procs
}

// shardCluster is shardProcs with the data nodes given args too; it also returns the
// cluster of sentinels.
func shardCluster(t *testing.T, replicas int, args ...string) (*clustertest.Cluster, []*redis.Client, []*exec.Cmd) {
	bin := buildShoal(t)
	c := clustertest.StartTuned(t, 3, 0, func(cfg *failover.SentinelConfig) {
		cfg.DownAfter, cfg.ProbeEvery = 500*time.Millisecond, 50*time.Millisecond
	})
	var sentinels, addrs []string
	for _, s := range c.Sentinels {
		sentinels = append(sentinels, s.Addr())
	}
	var clients []*redis.Client
	var procs []*exec.Cmd
	for range 1 + replicas {
		cmd, cl := startProc(t, bin, append([]string{"--dir", t.TempDir(), "--cluster-enabled", "yes", "--cluster-secret", clustertest.Secret,
			"--cluster-port", "{port}", "--repl-diskless-sync-delay", "0"}, args...)...)
		addrs = append(addrs, cl.Options().Addr)
		clients = append(clients, cl)
		procs = append(procs, cmd)
	}
	a := admin.New(sentinels, io.Discard, nil)
	defer a.Close()
	if err := a.Create(addrs, replicas); err != nil {
		t.Fatal(err)
	}
	return c, clients, procs
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitLong(t, 30*time.Second, what, cond)
}

// waitLong is waitFor with a deadline of d, for what takes many processes' start-up
// (slow on a loaded machine).
func waitLong(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMostAdvancedReplicaWins: of a primary's two replicas, one is stopped (SIGSTOP)
// while writes go on, so it falls behind; the primary dies (kill -9) and the laggard
// runs again, answering the sentinels with its older offset: the replica holding
// every write is promoted, and every acknowledged write is there.
func TestMostAdvancedReplicaWins(t *testing.T) {
	ctx := context.Background()
	clients, procs := shardProcs(t, 2) // node 0 primary, nodes 1 and 2 its replicas
	primary, laggard, ahead := clients[0], clients[1], clients[2]
	offset := func(cl *redis.Client, field string) string {
		for _, line := range strings.Split(cl.Info(ctx, "replication").Val(), "\r\n") {
			if v, ok := strings.CutPrefix(line, field+":"); ok {
				return v
			}
		}
		return ""
	}
	waitFor(t, "both replicas in sync", func() bool {
		primary.Set(ctx, "k", "v", 0)
		off := offset(primary, "master_repl_offset")
		return off != "" && offset(laggard, "slave_repl_offset") == off && offset(ahead, "slave_repl_offset") == off
	})
	if err := procs[1].Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The stopped replica's link ends (what its socket holds it would still apply on
	// waking): the running one reconnects and continues, the stopped one cannot.
	if err := primary.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	for i := range 500 {
		k := fmt.Sprint("key:", i)
		if primary.Set(ctx, k, i, 0).Err() == nil {
			acked = append(acked, k)
		}
	}
	waitFor(t, "the running replica in sync", func() bool {
		return offset(ahead, "slave_repl_offset") == offset(primary, "master_repl_offset")
	})
	procs[0].Process.Kill()
	if err := procs[1].Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new primary", func() bool {
		return strings.Contains(ahead.Info(ctx, "replication").Val(), "role:master") ||
			strings.Contains(laggard.Info(ctx, "replication").Val(), "role:master")
	})
	if !strings.Contains(ahead.Info(ctx, "replication").Val(), "role:master") {
		t.Fatalf("the replica that fell behind was promoted")
	}
	// (A new primary serves its slots once the sentinels granted it a lease.)
	waitFor(t, "the new primary serving", func() bool { return ahead.Set(ctx, "k", "new", 0).Err() == nil })
	for _, k := range acked {
		if err := ahead.Get(ctx, k).Err(); err != nil {
			t.Fatalf("acknowledged write %s: %v", k, err)
		}
	}
	ro := redis.NewClient(&redis.Options{Addr: clients[1].Options().Addr, MaxRetries: -1,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }})
	defer ro.Close()
	waitFor(t, "the laggard catching up from the new primary", func() bool {
		return ro.Exists(ctx, acked[len(acked)-1]).Val() == 1
	})
}
