// Package clustertest runs whole shoal clusters in one process for tests: sentinels
// (Raft group, gossip, RESP endpoint) and data nodes in cluster mode, on real sockets
// of 127.0.0.1 and temporary directories, all stopped when the test ends.
package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/internal/faults"
	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// go-redis logs failed dials of its own (replicas and clients of nodes a test
// stopped); the errors that matter reach the tests as values.
func init() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Secret is the cluster secret of every test cluster.
const Secret = "clustertest"

// Cluster is a running test cluster.
type Cluster struct {
	t         testing.TB
	Sentinels []*failover.Sentinel
	Nodes     []*node.Server
	sentCfgs  []failover.SentinelConfig
	nodeDirs  []string
	// NodeArgs are directives every data node started from now on gets (restarts
	// included).
	NodeArgs []string
	// Net, in a cluster started by StartFaulty, carries every connection between the
	// cluster's processes (sentinel-i, node-i) and their gossip; tests cut and heal it
	// by those names.
	Net   *faults.Net
	names map[string]string // node data directory → its name on Net

	tune    func(*failover.SentinelConfig)
	started int // sentinels started (their names count on)

	mu      sync.Mutex
	servers map[*node.Server]bool          // running servers, closed when the test ends
	clients map[*node.Server]*redis.Client // Client's, one per server (polled in loops)

	fsMu   sync.Mutex               // not mu: servers closed under mu fsync
	slowFs map[string]time.Duration // node name → delay of each of its AOF fsyncs

	logMu sync.Mutex
	logs  map[string]*tailLog // process name → the latest of its log (logs.go)
}

// SlowDisk delays every AOF fsync of the node named name (node-i) by d from now on (0:
// back to normal).
func (c *Cluster) SlowDisk(name string, d time.Duration) {
	c.fsMu.Lock()
	defer c.fsMu.Unlock()
	if c.slowFs == nil {
		c.slowFs = map[string]time.Duration{}
	}
	c.slowFs[name] = d
}

// fsync is the AOF fsync of the node named name: SlowDisk's delay, then the fsync.
func (c *Cluster) fsync(name string) func(*os.File) error {
	return func(f *os.File) error {
		c.fsMu.Lock()
		d := c.slowFs[name]
		c.fsMu.Unlock()
		time.Sleep(d)
		return f.Sync()
	}
}

// Start starts n sentinels (the first bootstraps the group, the others join it) and
// m data nodes in cluster mode that meet the first sentinel's gossip.
func Start(t testing.TB, sentinels, nodes int) *Cluster {
	t.Helper()
	return StartTuned(t, sentinels, nodes, nil)
}

// StartTuned is Start with each sentinel's configuration passed through tune first
// (failure detection timings, event output).
func StartTuned(t testing.TB, sentinels, nodes int, tune func(*failover.SentinelConfig)) *Cluster {
	t.Helper()
	return start(t, sentinels, nodes, tune, false)
}

// StartFaulty is StartTuned with every connection between the cluster's processes,
// and their gossip, on a fault network (Cluster.Net), and nodeArgs as NodeArgs.
func StartFaulty(t testing.TB, sentinels, nodes int, tune func(*failover.SentinelConfig), nodeArgs ...string) *Cluster {
	t.Helper()
	return start(t, sentinels, nodes, tune, true, nodeArgs...)
}

// start starts a cluster; its data nodes get nodeArgs (NodeArgs, restarts included).
func start(t testing.TB, sentinels, nodes int, tune func(*failover.SentinelConfig), faulty bool, nodeArgs ...string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, names: map[string]string{}, NodeArgs: nodeArgs}
	c.saveLogsOnFailure(t)
	if faulty {
		c.Net = faults.NewNet()
		t.Cleanup(c.Net.Close)
	}
	c.tune = tune
	for range sentinels {
		c.AddSentinel()
	}
	bhost, bport, _ := net.SplitHostPort(c.Sentinels[0].BusAddr())
	for i := range nodes {
		dir := t.TempDir()
		c.names[dir] = fmt.Sprintf("node-%d", i)
		n := c.StartNode(dir, "--port", "0")
		if err := c.Client(n).Do(context.Background(), "CLUSTER", "MEET", bhost, bport, bport).Err(); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, n)
		c.nodeDirs = append(c.nodeDirs, dir)
	}
	return c
}

// AddSentinel starts a sentinel (sentinel-i, i counting every sentinel this cluster
// started) and, unless it is the first, joins it to the group through the sentinels
// of c.Sentinels (those not cut off on the fault network must make a majority).
func (c *Cluster) AddSentinel() *failover.Sentinel {
	c.t.Helper()
	i := c.started
	c.started++
	cfg := failover.SentinelConfig{ID: fmt.Sprintf("sentinel-%d", i), Dir: c.t.TempDir(), Addr: "127.0.0.1:0",
		Raft: "127.0.0.1:0", Bus: "127.0.0.1:0", Secret: Secret, Bootstrap: i == 0, Fast: true}
	if c.tune != nil {
		c.tune(&cfg)
	}
	if i > 0 {
		cfg.BusJoin = c.sentinelBuses()
	}
	s := c.startSentinel(cfg)
	if i > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := sentinelapi.Join(ctx, c.sentinelAddrs(), cfg.ID, s.RaftAddr())
		if err == nil {
			err = s.AwaitVoter(ctx)
		}
		cancel()
		if err != nil {
			c.t.Fatal(err)
		}
	}
	cfg.Addr, cfg.Raft, cfg.Bus = s.Addr(), s.RaftAddr(), s.BusAddr()
	c.Sentinels = append(c.Sentinels, s)
	c.sentCfgs = append(c.sentCfgs, cfg) // with the addresses it got, for restarts
	return s
}

// RemoveSentinel takes sentinel i out of the group (SENTINEL FORGET on a leader among
// the others, waited for: sentinel i may be cut off) and out of c.Sentinels; its
// process goes on running until the test ends.
func (c *Cluster) RemoveSentinel(i int) {
	c.t.Helper()
	id := c.Sentinels[i].ID()
	c.Sentinels = slices.Delete(c.Sentinels, i, i+1)
	c.sentCfgs = slices.Delete(c.sentCfgs, i, i+1)
	c.waitFor("a leader among the other sentinels", func() bool { return c.leader() != nil })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sentinelapi.Forget(ctx, []string{c.leader().Addr()}, id); err != nil {
		c.t.Fatal(err)
	}
}

// startSentinel starts a sentinel, stopped when the test ends.
func (c *Cluster) startSentinel(cfg failover.SentinelConfig) *failover.Sentinel {
	c.t.Helper()
	log := c.logOf(cfg.ID) // its failover timeline
	if cfg.Log == nil {    // Raft's and memberlist's logs, their debug lines left out
		cfg.Log = noDebug{c.logOf(cfg.ID + "-raft-gossip")}
	}
	if cfg.Events == nil {
		cfg.Events = log
	} else {
		cfg.Events = io.MultiWriter(cfg.Events, log)
	}
	if c.Net != nil {
		cfg.Faults = c.Net.Endpoint(cfg.ID)
	}
	s, err := failover.StartSentinel(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	if c.Net != nil {
		c.Net.Add(cfg.ID, s.Addr(), s.RaftAddr(), s.BusAddr())
	}
	return s
}

// RestartSentinel stops sentinel i and starts it again on the same addresses and
// Raft state; it rejoins the gossip through the members it remembered.
func (c *Cluster) RestartSentinel(i int) *failover.Sentinel {
	c.t.Helper()
	c.stopSentinel(i)
	return c.startSentinelAgain(i)
}

// stopSentinel stops sentinel i once it has remembered its gossip members.
func (c *Cluster) stopSentinel(i int) {
	c.t.Helper()
	c.waitFor("the sentinel's remembered members", func() bool {
		_, err := os.Stat(filepath.Join(c.sentCfgs[i].Dir, "gossip-members"))
		return err == nil
	})
	c.Sentinels[i].Close()
}

func (c *Cluster) startSentinelAgain(i int) *failover.Sentinel {
	c.t.Helper()
	cfg := c.sentCfgs[i]
	cfg.BusJoin, cfg.Bootstrap = nil, false
	c.Sentinels[i] = c.startSentinel(cfg)
	return c.Sentinels[i]
}

// RestartAll stops every sentinel and data node, runs whileDown (if not nil), then
// starts the nodes and the sentinels again (same directories and ports): they find
// each other through what they remembered (cluster-config-file, the sentinels'
// gossip-members). (Sentinels stop first and start last: ones that found a primary
// silent would fail it over.)
func (c *Cluster) RestartAll(whileDown func()) {
	c.t.Helper()
	for i := range c.Sentinels {
		c.stopSentinel(i)
	}
	ports := make([][2]string, len(c.Nodes))
	for i, n := range c.Nodes {
		_, ports[i][0], _ = net.SplitHostPort(n.Addr().String())
		_, ports[i][1], _ = net.SplitHostPort(n.BusAddr())
		c.stopNode(n)
	}
	if whileDown != nil {
		whileDown()
	}
	for i := range c.Nodes {
		c.Nodes[i] = c.StartNode(c.nodeDirs[i], "--port", ports[i][0], "--cluster-port", ports[i][1])
	}
	for i := range c.Sentinels {
		c.startSentinelAgain(i)
	}
}

// StartNode starts a data node in cluster mode with its data in dir and the extra
// directives args (stopped when the test ends).
func (c *Cluster) StartNode(dir string, args ...string) *node.Server {
	c.t.Helper()
	return c.StartServer(dir, append([]string{"--cluster-enabled", "yes", "--cluster-secret", Secret}, args...)...)
}

// StartServer starts a server (standalone unless args say otherwise) with its data
// in dir, NodeArgs and args (stopped when the test ends).
func (c *Cluster) StartServer(dir string, args ...string) *node.Server {
	c.t.Helper()
	args = append([]string{"--bind", "127.0.0.1", "--save", "", "--dir", dir, "--repl-diskless-sync-delay", "0"},
		slices.Concat(c.NodeArgs, args)...)
	cfg, _, err := conf.Load("", args)
	if err != nil {
		c.t.Fatal(err)
	}
	name, onNet := c.names[dir]
	logName := name
	if !onNet {
		logName = "server-" + filepath.Base(dir)
	}
	opt := node.Options{Log: node.NewLogger(c.logOf(logName), node.LevelNotice)}
	if onNet {
		opt.Fsync = c.fsync(name)
	}
	if onNet = onNet && c.Net != nil; onNet {
		opt.Faults = c.Net.Endpoint(name)
	}
	n, err := node.New(cfg, opt)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.live(n)
	if onNet {
		c.Net.Add(name, n.Addr().String(), n.BusAddr())
	}
	return n
}

// live records a running server, closed when the test ends unless stopNode stops it
// first (a stopped server is not kept reachable: long tests restart nodes many times).
func (c *Cluster) live(n *node.Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.servers == nil {
		c.servers = map[*node.Server]bool{}
		c.t.Cleanup(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for n := range c.servers {
				n.Close()
			}
		})
	}
	c.servers[n] = true
}

// stopNode closes a server started by StartServer.
func (c *Cluster) stopNode(n *node.Server) {
	n.Close()
	c.mu.Lock()
	delete(c.servers, n)
	c.mu.Unlock()
}

// RestartNode stops data node i, runs whileDown, and starts the node again with the
// same directory, client port and bus port; it finds the cluster again through its
// cluster-config-file.
func (c *Cluster) RestartNode(i int, whileDown func()) *node.Server {
	c.t.Helper()
	old := c.Nodes[i]
	_, port, _ := net.SplitHostPort(old.Addr().String())
	_, bus, _ := net.SplitHostPort(old.BusAddr())
	c.stopNode(old)
	if whileDown != nil {
		whileDown()
	}
	c.Nodes[i] = c.StartNode(c.nodeDirs[i], "--port", port, "--cluster-port", bus)
	return c.Nodes[i]
}

func (c *Cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	waitUntil(c.t, what, cond)
}

// waitUntil polls cond until it holds, failing t after 20 s.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 20*time.Second, what, cond)
}

// waitLong is waitUntil for a minute: for what another system decides at its own
// pace (a real Redis Cluster's replica whose election failed tries again only after
// twice its failover timeout, and may fail again).
func waitLong(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, time.Minute, what, cond)
}

// waitWithin polls cond until it holds, failing the test after d.
func waitWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !within(d, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// within polls cond until it holds (true) or d passed (false).
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// leader is the sentinel leading the Raft group, nil when none.
func (c *Cluster) leader() *failover.Sentinel {
	for _, s := range c.Sentinels {
		if s.Store().IsLeader() {
			return s
		}
	}
	return nil
}

// Client returns the client of a data node: one per server, kept (tests poll with it
// in loops) and closed when the test ends.
func (c *Cluster) Client(n *node.Server) *redis.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[n]; ok {
		return cl
	}
	cl := redis.NewClient(&redis.Options{Addr: n.Addr().String(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	c.t.Cleanup(func() { cl.Close() })
	if c.clients == nil {
		c.clients = map[*node.Server]*redis.Client{}
	}
	c.clients[n] = cl
	return cl
}

// ReadOnlyClient returns a client of a data node whose connections sent READONLY
// (they read the node's data when it is a replica).
func (c *Cluster) ReadOnlyClient(n *node.Server) *redis.Client {
	cl := redis.NewClient(&redis.Options{Addr: n.Addr().String(), Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }})
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// SentinelClient returns a client of a sentinel's RESP endpoint.
func (c *Cluster) SentinelClient(s *failover.Sentinel) *redis.Client {
	cl := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// Propose commits a change through the sentinels (SENTINEL PROPOSE, following
// NOTLEADER to the leader) and returns the new epoch.
func (c *Cluster) Propose(ch slots.Change) uint64 {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	epoch, err := sentinelapi.Propose(ctx, c.sentinelAddrs(), ch)
	if err != nil {
		c.t.Fatalf("SENTINEL PROPOSE %+v: %v", ch, err)
	}
	return epoch
}

// sentinelBuses are the sentinels' gossip addresses.
func (c *Cluster) sentinelBuses() []string {
	var addrs []string
	for _, s := range c.Sentinels {
		addrs = append(addrs, s.BusAddr())
	}
	return addrs
}

// sentinelAddrs are the sentinels' RESP addresses.
func (c *Cluster) sentinelAddrs() []string {
	var addrs []string
	for _, s := range c.Sentinels {
		addrs = append(addrs, s.Addr())
	}
	return addrs
}

// NodeInfo is n as the topology lists it.
func NodeInfo(n *node.Server) slots.Node {
	host, port, _ := net.SplitHostPort(n.Addr().String())
	_, bus, _ := net.SplitHostPort(n.BusAddr())
	p, _ := strconv.Atoi(port)
	b, _ := strconv.Atoi(bus)
	return slots.Node{ID: n.ClusterID(), IP: host, Port: p, BusPort: b}
}

// ShardID is a shard ID for shard i of a test cluster.
func ShardID(i int) string { return strings.Repeat(strconv.Itoa(i%10), 40) }

// Create lays the cluster out as shards of one primary and replicasPer replicas each
// (in node order), with the slots split evenly, through the sentinels, and waits
// until every node follows the last epoch.
func (c *Cluster) Create(replicasPer int) uint64 {
	c.t.Helper()
	var epoch uint64
	for _, n := range c.Nodes {
		epoch = c.Propose(slots.Change{Op: slots.OpAddNode, Node: NodeInfo(n)})
	}
	per := 1 + replicasPer
	shards := len(c.Nodes) / per
	for i := range shards {
		var reps []string
		for j := 1; j < per; j++ {
			reps = append(reps, c.Nodes[i*per+j].ClusterID())
		}
		c.Propose(slots.Change{Op: slots.OpAddShard, Shard: ShardID(i), Primary: c.Nodes[i*per].ClusterID(), Replicas: reps})
		start, end := i*slots.Count/shards, (i+1)*slots.Count/shards-1
		epoch = c.Propose(slots.Change{Op: slots.OpAssignSlots, Shard: ShardID(i), Slots: fmt.Sprintf("%d-%d", start, end)})
	}
	c.WaitEpoch(epoch)
	return epoch
}

// WaitEpoch waits until every data node follows a topology at epoch or later.
func (c *Cluster) WaitEpoch(epoch uint64) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("every node at epoch %d", epoch), func() bool {
		for _, n := range c.Nodes {
			info, err := c.Client(n).ClusterInfo(context.Background()).Result()
			if err != nil || !strings.Contains(info, "cluster_current_epoch:"+strconv.FormatUint(epoch, 10)+"\r\n") {
				return false
			}
		}
		return true
	})
}

// SyncBuffer is an io.Writer safe for concurrent use (event logs, a process's output).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
