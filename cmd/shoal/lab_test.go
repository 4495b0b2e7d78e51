package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/clustertest"
)

// TestLab: `shoal lab` brings up sentinels, two shards of a primary and a replica and
// a proxy, prints them, serves clients through the proxy and in cluster mode, stops
// every process on SIGINT, and started again on its directory resumes the same
// cluster with its data.
func TestLab(t *testing.T) {
	ctx := context.Background()
	bin := buildShoal(t)
	dir := t.TempDir()
	// Ports base…base+500 and the nodes' gossip ports (+10000) must be free: a base
	// below the ephemeral range, tried until its ports are.
	base := 0
	for base == 0 {
		b := 12000 + rand.IntN(7000)
		free := true
		for _, p := range []int{b, b + 1, b + 2, b + 3, b + 100, b + 200, b + 201, b + 300, b + 400, b + 500, b + 10000, b + 1100, b + 2100} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			base = b
		}
	}
	run := func() (*exec.Cmd, *clustertest.SyncBuffer, chan struct{}) {
		out := &clustertest.SyncBuffer{}
		cmd := exec.Command(bin, "lab", "--shards", "2", "--replicas", "1", "--sentinels", "3",
			"--base-port", fmt.Sprint(base), "--dir", dir)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			cmd.Wait()
			close(done)
		}()
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGINT)
			<-done
		})
		// (Eight processes start, the sentinels elect, the replicas sync: a loaded
		// machine takes a while.)
		waitLong(t, 2*time.Minute, "the lab's table", func() bool {
			select {
			case <-done:
				t.Fatalf("the lab exited:\n%s", out.String())
			default:
			}
			return strings.Contains(out.String(), "Ctrl-C stops the lab")
		})
		return cmd, out, done
	}
	cmd, out, done := run()
	for _, want := range []string{"creating the cluster", "primary, slots 0-8191", "replica of 127.0.0.1:", "sentinel", "proxy",
		fmt.Sprintf("redis-cli -p %d", base+200), fmt.Sprintf("http://127.0.0.1:%d/metrics", base+500)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the lab's output lacks %q:\n%s", want, out.String())
		}
	}
	proxy := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", base+200), MaxRetries: -1})
	defer proxy.Close()
	for i := range 20 {
		if err := proxy.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the lab's proxy: %v", err)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{fmt.Sprintf("127.0.0.1:%d", base)}})
	defer cc.Close()
	if v, err := cc.Get(ctx, "k7").Result(); err != nil || v != "7" {
		t.Errorf("GET in cluster mode: %q %v", v, err)
	}
	// The kill drill: the first primary dies, its replica takes over, and the lab
	// starts it again as a replica; clients of the proxy go on. (WAIT first: the
	// replicas have every write.)
	if n, err := proxy.Do(ctx, "WAIT", "1", "5000").Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 through the proxy: %d %v", n, err)
	}
	if b, err := exec.Command(bin, "lab", "kill", fmt.Sprint(base)).CombinedOutput(); err != nil {
		t.Fatalf("shoal lab kill: %v\n%s", err, b)
	}
	first := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", base), MaxRetries: -1})
	defer first.Close()
	waitFor(t, "the killed primary back as a replica", func() bool {
		return strings.Contains(first.Info(ctx, "replication").Val(), "role:slave")
	})
	if !strings.Contains(out.String(), "starting it again") {
		t.Errorf("the lab did not say it starts the killed node again:\n%s", out.String())
	}
	waitFor(t, "the lab printing the failover", func() bool { return strings.Contains(out.String(), "failover: ") })
	// The pause drill stops a process for a while; it answers again after.
	if b, err := exec.Command(bin, "lab", "pause", fmt.Sprint(base), "--for", "1s").CombinedOutput(); err != nil || !strings.Contains(string(b), "goes on") {
		t.Fatalf("shoal lab pause: %v\n%s", err, b)
	}
	if err := first.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after the pause drill: %v", err)
	}
	for i := range 20 {
		if v, err := proxy.Get(ctx, fmt.Sprint("k", i)).Result(); err != nil || v != fmt.Sprint(i) {
			t.Errorf("GET k%d through the proxy after the drill: %q %v", i, v, err)
		}
	}
	checkLabMetrics(t, base)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the lab did not stop on SIGINT")
	}
	if !cmd.ProcessState.Success() {
		t.Errorf("the lab exited with %v:\n%s", cmd.ProcessState, out.String())
	}
	for _, p := range []int{base, base + 3, base + 100, base + 200} {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			c.Close()
			t.Errorf("port %d still answers after the lab stopped", p)
		}
	}
	// Again on the same directory: the same cluster, the same data.
	_, out, _ = run()
	if !strings.Contains(out.String(), "resumes") {
		t.Errorf("the lab started again did not resume:\n%s", out.String())
	}
	waitFor(t, "a read through the resumed lab's proxy", func() bool { return proxy.Get(ctx, "k19").Val() == "19" })
}

// checkLabMetrics scrapes every role of the lab at base (after a failover, so the
// failover series exist): each serves the names the README and the dashboard rely on,
// and every metric a query of deploy/grafana/shoal-dashboard.json names exists.
func checkLabMetrics(t *testing.T, base int) {
	t.Helper()
	roles := map[string][]int{"node": {base + 300, base + 301, base + 302, base + 303},
		"sentinel": {base + 400, base + 401, base + 402}, "proxy": {base + 500}}
	want := map[string][]string{
		"node": {"redis_up", "redis_instance_info", "redis_connected_clients", "redis_commands_processed_total",
			"redis_commands_total", "redis_commands_duration_seconds_total", "redis_keyspace_hits_total",
			"redis_keyspace_misses_total", "redis_memory_used_bytes", "redis_db_keys", "redis_connected_slaves",
			"redis_master_repl_offset", "redis_cluster_state", "redis_cluster_slots_ok", "redis_cluster_current_epoch",
			"shoal_write_lease_held", "shoal_gossip_members"},
		"sentinel": {"shoal_up", "shoal_raft_term", "shoal_raft_leader", "shoal_raft_commit_index", "shoal_cluster_epoch",
			"shoal_sentinel_failovers_total", "shoal_gossip_members"},
		"proxy": {"shoal_up", "shoal_proxy_requests_total", "shoal_proxy_redirects_followed_total",
			"shoal_proxy_node_latency_seconds_bucket", "shoal_gossip_members"},
	}
	names := map[string]bool{}
	sample := regexp.MustCompile(`(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`)
	for role, ports := range roles {
		for _, port := range ports {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
			if err != nil {
				t.Fatalf("scraping the %s on metrics port %d: %v", role, port, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			have := map[string]bool{}
			for _, m := range sample.FindAllStringSubmatch(string(b), -1) {
				have[m[1]], names[m[1]] = true, true
			}
			for _, w := range want[role] {
				if !have[w] {
					t.Errorf("the %s on metrics port %d does not export %s", role, port, w)
				}
			}
		}
	}
	// The dashboard's queries name only metrics that exist.
	raw, err := os.ReadFile("../../deploy/grafana/shoal-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "expr" {
					exprs = append(exprs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	walk(dash)
	if len(exprs) < 10 {
		t.Fatalf("the dashboard has %d queries", len(exprs))
	}
	metric := regexp.MustCompile(`\b(?:redis|shoal)_[a-z0-9_]+`)
	var missing []string
	for _, e := range exprs {
		for _, n := range metric.FindAllString(e, -1) {
			if !names[n] && !slices.Contains(missing, n) {
				missing = append(missing, n)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("the dashboard's queries name metrics no role exports: %v", missing)
	}
}
