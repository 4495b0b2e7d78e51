package clustertest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/history"
)

// loopFirewall cuts traffic between loopback addresses (127.0.0.x) with iptables
// rules in a chain of its own, removed when the test ends: processes bound to
// different loopback addresses can be partitioned from each other while the test's
// clients (127.0.0.1) still reach them all.
type loopFirewall struct {
	t     *testing.T
	chain string
}

// newLoopFirewall sets the chain up, or skips the test where iptables cannot be
// used (not root, no iptables).
func newLoopFirewall(t *testing.T) *loopFirewall {
	t.Helper()
	f := &loopFirewall{t: t, chain: fmt.Sprintf("SHOAL-%d", os.Getpid()%100000)}
	f.cleanup()
	if out, err := exec.Command("iptables", "-N", f.chain).CombinedOutput(); err != nil {
		t.Skipf("iptables unusable (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	f.run("-I", "INPUT", "-j", f.chain)
	t.Cleanup(f.cleanup)
	return f
}

func (f *loopFirewall) run(args ...string) {
	f.t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		f.t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
}

func (f *loopFirewall) cleanup() {
	exec.Command("iptables", "-D", "INPUT", "-j", f.chain).Run()
	exec.Command("iptables", "-F", f.chain).Run()
	exec.Command("iptables", "-X", f.chain).Run()
}

// Cut drops every packet between address a and each of others, both ways.
func (f *loopFirewall) Cut(a string, others []string) {
	for _, o := range others {
		f.run("-A", f.chain, "-s", a, "-d", o, "-j", "DROP")
		f.run("-A", f.chain, "-s", o, "-d", a, "-j", "DROP")
	}
}

// Heal removes every rule.
func (f *loopFirewall) Heal() { f.run("-F", f.chain) }

// redisNode is a redis-server process in cluster mode bound to its own loopback
// address.
type redisNode struct {
	ip, addr string
	conf     string
	cmd      *exec.Cmd
	client   *redis.Client
}

// start starts (or restarts) the process from its configuration file.
func (n *redisNode) start(t *testing.T) {
	t.Helper()
	n.cmd = exec.Command("redis-server", n.conf)
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := n.cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(t, "redis-server answering", func() bool { return n.client.Ping(context.Background()).Err() == nil })
}

// kill kills the process (SIGKILL) and waits for it.
func (n *redisNode) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
}

// signal sends sig to the process.
func (n *redisNode) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// startRedisCluster starts a Redis Cluster of 3 primaries with a replica each, node i
// on 127.0.0.(20+i) with cluster-node-timeout nodeTimeout and no persistence (as the
// shoal clusters of the fault tests) unless the extra redis.conf lines say otherwise,
// created with redis-cli --cluster create.
func startRedisCluster(t *testing.T, nodeTimeout time.Duration, extra string) []*redisNode {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	var nodes []*redisNode
	var addrs []string
	for i := range 6 {
		ip := fmt.Sprintf("127.0.0.%d", 20+i)
		ln, err := net.Listen("tcp", ip+":0") // a free port on that address (its +10000 bus port is taken as free too)
		if err != nil {
			t.Skipf("cannot bind %s: %v", ip, err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port > 55535 {
			t.Skip("the free port has no room for its bus port")
		}
		dir := t.TempDir()
		n := &redisNode{ip: ip, addr: net.JoinHostPort(ip, strconv.Itoa(port)), conf: filepath.Join(dir, "redis.conf")}
		// bind-source-addr: its connections to the other nodes leave from its own
		// address too, so the firewall tells them apart.
		conf := fmt.Sprintf("bind %s\nbind-source-addr %s\nport %d\ndir %s\ncluster-enabled yes\n"+
			"cluster-config-file nodes.conf\ncluster-node-timeout %d\nsave \"\"\nappendonly no\nprotected-mode no\nlogfile redis.log\n"+
			"repl-diskless-sync-delay 0\n%s",
			ip, ip, port, dir, nodeTimeout.Milliseconds(), extra)
		if err := os.WriteFile(n.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		n.client = redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		t.Cleanup(func() { n.client.Close() })
		n.start(t)
		nodes = append(nodes, n)
		addrs = append(addrs, n.addr)
	}
	t.Cleanup(func() { saveRedisLogs(t, nodes) })
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	waitRedisWhole(t, nodes)
	return nodes
}

// waitRedisWhole waits until every node says cluster_state:ok and every replica's
// link to its primary is up.
func waitRedisWhole(t *testing.T, nodes []*redisNode) {
	t.Helper()
	waitLong(t, "cluster_state:ok everywhere, every replica's link up", func() bool {
		for _, n := range nodes {
			if !strings.Contains(n.client.ClusterInfo(context.Background()).Val(), "cluster_state:ok") {
				return false
			}
			info := n.client.Info(context.Background(), "replication").Val()
			if strings.Contains(info, "role:slave") && !strings.Contains(info, "master_link_status:up") {
				return false
			}
		}
		return true
	})
}

// saveRedisLogs copies the nodes' redis.log files into a new directory when t has
// failed (or always, with SHOAL_KEEP_LOGS set), and logs where.
func saveRedisLogs(t *testing.T, nodes []*redisNode) {
	dir := logDir(t, "shoal-failure-redis-")
	if dir == "" {
		return
	}
	for _, n := range nodes {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(n.conf), "redis.log")); err == nil {
			os.WriteFile(filepath.Join(dir, n.ip+".log"), b, 0o644)
		}
	}
	t.Logf("the redis-server logs: %s", dir)
}

// redisDrill is a fault the Redis Cluster comparison injects on the primary of the
// lists' slot (p) among the cluster's nodes, as a shoal fault test does.
type redisDrill struct {
	name, faults string
	conf         string // extra redis.conf lines
	firewall     bool   // the drill cuts links (iptables)
	chaosOnly    bool   // only in make chaos (not in make test)
	promote      bool   // a replica is to take over before the fault ends
	// start injects the fault; end ends it, called once a replica took over (or a
	// minute passed without one), or at once when promote is false.
	start, end func(t *testing.T, fw *loopFirewall, p *redisNode, others []*redisNode)
}

// redisDrills are the drills of TestRedisClusterDrills.
var redisDrills = []redisDrill{
	{name: "primary killed", faults: "the primary closed with no warning and started again once a replica took over", promote: true,
		start: func(t *testing.T, _ *loopFirewall, p *redisNode, _ []*redisNode) { p.kill() },
		end:   func(t *testing.T, _ *loopFirewall, p *redisNode, _ []*redisNode) { p.start(t) }},
	{name: "partition-primary", faults: "the primary cut off from every other node (clients still reach it) until a replica is promoted",
		firewall: true, promote: true,
		start: func(t *testing.T, fw *loopFirewall, p *redisNode, others []*redisNode) {
			var ips []string
			for _, n := range others {
				ips = append(ips, n.ip)
			}
			fw.Cut(p.ip, ips)
		},
		end: func(t *testing.T, fw *loopFirewall, _ *redisNode, _ []*redisNode) { fw.Heal() }},
	{name: "primary-paused", faults: "the primary stopped (SIGSTOP) until a replica is promoted, then continued (SIGCONT)",
		chaosOnly: true, promote: true,
		start: func(t *testing.T, _ *loopFirewall, p *redisNode, _ []*redisNode) { p.signal(t, syscall.SIGSTOP) },
		end:   func(t *testing.T, _ *loopFirewall, p *redisNode, _ []*redisNode) { p.signal(t, syscall.SIGCONT) }},
	{name: "all-killed", faults: "every node killed (SIGKILL) at once, all started again on their data directories (appendonly yes, appendfsync always)",
		conf: "appendonly yes\nappendfsync always\n", chaosOnly: true,
		start: func(t *testing.T, _ *loopFirewall, p *redisNode, others []*redisNode) {
			for _, n := range append([]*redisNode{p}, others...) {
				n.kill()
			}
		},
		end: func(t *testing.T, _ *loopFirewall, p *redisNode, others []*redisNode) {
			for _, n := range append([]*redisNode{p}, others...) {
				n.start(t)
			}
		}},
}

// TestRedisClusterDrills runs the async-mode drills of the fault tests against a
// real Redis Cluster (7.0, when redis-server is installed), for RELIABILITY.md's
// comparison: the list append workload (the same clients and checker) while the
// primary of the lists' slot is killed, cut off from every other node (iptables on
// loopback addresses; clients still reach it) or paused, until a replica took over,
// and (make chaos) while every node is killed at once and started again.
// cluster-node-timeout is the sentinels' down-after of the shoal drills (400 ms).
func TestRedisClusterDrills(t *testing.T) {
	for _, drill := range redisDrills {
		t.Run(strings.ReplaceAll(drill.name, " ", "-"), func(t *testing.T) {
			if drill.chaosOnly && !Chaos() {
				t.Skip("make chaos only (SHOAL_FAILOVER_ROUNDS set)")
			}
			var fw *loopFirewall
			if drill.firewall {
				fw = newLoopFirewall(t)
			}
			nodes := startRedisCluster(t, 400*time.Millisecond, drill.conf)
			rounds := failoverRounds()
			if drill.firewall {
				rounds = NetRounds()
			}
			LogScenario(t, "Redis Cluster 7: "+drill.name, fmt.Sprintf("%s, %d rounds", drill.faults, rounds),
				"list appends, async (Redis), 3 primaries with 1 replica each")
			seeds := []string{nodes[0].addr, nodes[1].addr}
			RunAppends(t, seeds, nil, "async", func(sent func() int, av *history.Availability) {
				for round := range rounds {
					mark := sent()
					waitUntil(t, "appends under way", func() bool { return sent() > mark+300 })
					p := redisSlotPrimary(t, nodes, "{a}0")
					var others []*redisNode
					for _, n := range nodes {
						if n != p {
							others = append(others, n)
						}
					}
					av.Fault(true)
					drill.start(t, fw, p, others)
					if !drill.promote {
						drill.end(t, fw, p, others)
						waitRedisWhole(t, nodes)
						av.Fault(false)
						t.Logf("round %d: every node back", round)
						continue
					}
					// Redis Cluster does not always fail over (seen in make chaos: the
					// replica got the FAIL message about its primary and never started an
					// election): after a minute the round ends as it is, and says so.
					promoted := within(time.Minute, func() bool {
						q := redisSlotPrimaryFrom(others, "{a}0")
						return q != nil && q != p
					})
					drill.end(t, fw, p, others)
					if !promoted {
						waitLong(t, "the old primary serving again", func() bool { return redisSlotPrimaryFrom(nodes, "{a}0") == p })
						av.Fault(false)
						t.Logf("round %d: no replica of %s promoted within a minute; the fault ended", round, p.addr)
						continue
					}
					waitUntil(t, "the old primary back as a replica", func() bool {
						info := p.client.Info(context.Background(), "replication").Val()
						return strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
					})
					av.Fault(false)
					t.Logf("round %d: %s replaced", round, p.addr)
				}
			})
		})
	}
}

// redisSlotPrimary is the primary of key's slot as a majority of nodes sees it (it
// fails the test when none does).
func redisSlotPrimary(t *testing.T, nodes []*redisNode, key string) *redisNode {
	t.Helper()
	var p *redisNode
	waitUntil(t, "the slot's primary", func() bool { p = redisSlotPrimaryFrom(nodes, key); return p != nil })
	return p
}

// redisSlotPrimaryFrom is the node a majority of nodes names primary of key's slot
// in CLUSTER SLOTS, nil when they disagree.
func redisSlotPrimaryFrom(nodes []*redisNode, key string) *redisNode {
	ctx := context.Background()
	votes := map[string]int{}
	for _, n := range nodes {
		slot, err := n.client.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			continue
		}
		ranges, err := n.client.ClusterSlots(ctx).Result()
		if err != nil {
			continue
		}
		for _, r := range ranges {
			if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
				votes[r.Nodes[0].Addr]++
			}
		}
	}
	for addr, v := range votes {
		if 2*v > len(nodes) {
			for _, n := range nodes {
				if n.addr == addr {
					return n
				}
			}
		}
	}
	return nil
}
