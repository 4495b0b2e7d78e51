package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/failover"
)

func TestParsePeers(t *testing.T) {
	peers, bus, err := parsePeers([]string{"s1=10.0.0.1:26379", "s2=10.0.0.2:26379", "s3=10.0.0.3:26400"}, "s2")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(peers) != "map[s1:10.0.0.1:27379 s2:10.0.0.2:27379 s3:10.0.0.3:27400]" ||
		fmt.Sprint(bus) != "[10.0.0.1:28379 10.0.0.3:28400]" {
		t.Errorf("peers %v, bus %v", peers, bus)
	}
	// Malformed entries, and a list without this sentinel (s1), are refused.
	for _, bad := range [][]string{{"s1"}, {"=1.2.3.4:1"}, {"s1=host"}, {"s1=h:x"}, {"s9=1.2.3.4:1"}} {
		if _, _, err := parsePeers(bad, "s1"); err == nil {
			t.Errorf("parsePeers(%q) accepted", bad)
		}
	}
}

// TestSentinelMetrics: a sentinel's metrics endpoint serves its Raft and failover
// metrics, /healthz, and /readyz once the group has a leader.
func TestSentinelMetrics(t *testing.T) {
	s, err := failover.StartSentinel(failover.SentinelConfig{ID: "m1", Dir: t.TempDir(), Addr: "127.0.0.1:0",
		Raft: "127.0.0.1:0", Bus: "127.0.0.1:0", Bootstrap: true, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr, stop, err := serveMetrics("127.0.0.1:0", func() bool { return s.Store().LeaderAddr() != "" }, nil, s.Collector())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, "the sentinel leading its group of one", func() bool { code, _ := get("/readyz"); return code == 200 })
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	_, body := get("/metrics")
	for _, want := range []string{"shoal_raft_leader 1", "shoal_raft_voters 1", "shoal_sentinel_failovers_total 0",
		"shoal_raft_term ", "shoal_raft_commit_index ", "shoal_cluster_slots_migrating 0", `shoal_sentinel_masters{kind="shard"} 0`, `shoal_up{role="sentinel"} 1`,
		"go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestServerMetrics: `shoal server --metrics-port` serves the node's metrics
// (redis_exporter's names), /healthz and /readyz.
func TestServerMetrics(t *testing.T) {
	bin := buildShoal(t)
	mp := freePort(t)
	_, c := startProc(t, bin, "--metrics-port", fmt.Sprint(mp))
	waitFor(t, "the server", func() bool { return c.Set(context.Background(), "k", "v", 0).Err() == nil })
	get := func(path string) (int, string) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", mp, path))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, "/readyz", func() bool { code, _ := get("/readyz"); return code == 200 })
	_, body := get("/metrics")
	for _, want := range []string{"redis_up 1", `redis_db_keys{db="db0"} 1`, "redis_connected_clients ",
		"redis_commands_processed_total ", "redis_connected_slaves 0", "shoal_shard_durability_timeouts_total 0", "go_goroutines ",
		`redis_commands_total{cmd="set"} 1`, `redis_commands_duration_seconds_total{cmd="set"} `, "redis_keyspace_misses_total ",
		"redis_memory_used_bytes ", `redis_instance_info{redis_mode="standalone",redis_version="7.0.15",role="master",`,
		"redis_aof_enabled 0", "redis_uptime_in_seconds "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if _, body := get("/metrics/slots"); !strings.Contains(body, `shoal_slot_keys{slot="7629"} 1`) { // (CLUSTER KEYSLOT k)
		t.Errorf("/metrics/slots: %s", body)
	}
	// shoal ping, the containers' health check: 0 when answered, 1 otherwise.
	for _, args := range [][]string{{"ping", c.Options().Addr}, {"ping", c.Options().Addr, "--ready"}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil || !strings.Contains(string(out), "PONG") {
			t.Errorf("shoal %v: %v %s", args, err, out)
		}
	}
	if err := exec.Command(bin, "ping", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--timeout", "1s").Run(); err == nil {
		t.Error("shoal ping of a closed port exited 0")
	}
}
