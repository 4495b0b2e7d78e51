package node

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/slots"
)

// clusterPair starts two nodes in cluster mode and gives them a topology: shard 1 (a,
// primary, with c as replica) owns 0-8191, shard 2 (b) 8192-16383.
func clusterPair(t *testing.T) (a, b, c *Server, top *slots.Topology) {
	t.Helper()
	var addrs [3]string
	var srv [3]*Server
	for i := range srv {
		srv[i], addrs[i] = startShoal(t, "cluster-enabled", "yes")
	}
	node := func(i int) slots.Node {
		host, port, _ := net.SplitHostPort(addrs[i])
		p, _ := strconv.Atoi(port)
		return slots.Node{ID: srv[i].ClusterID(), IP: host, Port: p, BusPort: p + 10000}
	}
	top, err := slots.New(1, []slots.Node{node(0), node(1), node(2)}, []slots.Shard{
		{ID: strings.Repeat("1", 40), Primary: srv[0].ClusterID(), Replicas: []string{srv[2].ClusterID()}, Slots: slots.Ranges{{Start: 0, End: 8191}}},
		{ID: strings.Repeat("2", 40), Primary: srv[1].ClusterID(), Slots: slots.Ranges{{Start: 8192, End: 16383}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srv {
		if !s.SetTopology(top) {
			t.Fatal("topology not adopted")
		}
	}
	return srv[0], srv[1], srv[2], top
}

// TestClusterRedirects: a node in cluster mode answers MOVED/CROSSSLOT/CLUSTERDOWN as
// Redis does, serves its own slots, lets READONLY clients read on a replica, and a
// go-redis ClusterClient follows the redirects.
func TestClusterRedirects(t *testing.T) {
	ctx := context.Background()
	fresh, freshAddr := startShoal(t, "cluster-enabled", "yes")
	_ = fresh
	transcript := func(addr string, steps ...step) {
		t.Helper()
		runTranscript(t, newClient(t, addr, 2), steps)
	}
	// Before any topology every slot is unserved.
	transcript(freshAddr,
		S("SET", "foo", "1").Is(E("CLUSTERDOWN Hash slot not served")),
		S("PING").Is("PONG"),
		S("CLUSTER", "KEYSLOT", "foo").Is(12182),
		S("SELECT", "1").Is(E("ERR SELECT is not allowed in cluster mode")),
		S("SELECT", "0").Is("OK"),
	)
	a, b, c, _ := clusterPair(t)
	aAddr, bAddr, cAddr := a.Addr().String(), b.Addr().String(), c.Addr().String()
	transcript(aAddr,
		S("SET", "bar", "1").Is("OK"), // slot 5061: a's
		S("GET", "bar").Is("1"),
		S("SET", "foo", "1").Is(E("MOVED 12182 "+bAddr)),
		S("MSET", "bar", "1", "foo", "2").Is(E("CROSSSLOT Keys in request don't hash to the same slot")),
		S("MSET", "{bar}x", "1", "{bar}y", "2").Is("OK"),
		S("MULTI").Is("OK"),
		S("SET", "foo", "1").Is(E("MOVED 12182 "+bAddr)),
		S("SET", "bar", "2").Is("QUEUED"),
		S("EXEC").Is(E("EXECABORT Transaction discarded because of previous errors.")),
		S("CLUSTER", "MYID").Is(a.ClusterID()),
		S("CLUSTER", "MYSHARDID").Is(strings.Repeat("1", 40)),
		S("CLUSTER", "COUNTKEYSINSLOT", "5061").Is(3),
		S("CLUSTER", "GETKEYSINSLOT", "5061", "10").Is(Check(func(v any) bool { a, ok := v.([]any); return ok && len(a) == 3 })),
		S("CLUSTER", "COUNTKEYSINSLOT", "16384").Is(E("ERR Invalid or out of range slot")),
	)
	transcript(cAddr,
		S("CLUSTER", "MYSHARDID").Is(strings.Repeat("1", 40)), // a replica: its primary's shard
		S("GET", "bar").Is(E("MOVED 5061 "+aAddr)),
		S("READONLY").Is("OK"),
		S("GET", "bar").Is(nil), // a replica in name only here: no data streamed
		S("SET", "bar", "1").Is(E("MOVED 5061 "+aAddr)),
		S("GET", "foo").Is(E("MOVED 12182 "+bAddr)),
		S("READWRITE").Is("OK"),
		S("GET", "bar").Is(E("MOVED 5061 "+aAddr)),
	)
	// What cluster-aware clients read.
	ac := newClient(t, aAddr, 2)
	if info := ac.ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_state:ok\r\ncluster_slots_assigned:16384\r\n") ||
		!strings.Contains(info, "cluster_known_nodes:3\r\ncluster_size:2\r\n") {
		t.Errorf("CLUSTER INFO:\n%s", info)
	}
	cs := ac.ClusterSlots(ctx).Val()
	if len(cs) != 2 || cs[0].Start != 0 || cs[0].End != 8191 || len(cs[0].Nodes) != 2 || cs[0].Nodes[0].Addr != aAddr ||
		cs[0].Nodes[1].Addr != cAddr || cs[0].Nodes[0].ID != a.ClusterID() || cs[1].Nodes[0].Addr != bAddr {
		t.Errorf("CLUSTER SLOTS = %+v", cs)
	}
	shards := ac.ClusterShards(ctx).Val()
	if len(shards) != 2 || len(shards[0].Nodes) != 2 || shards[0].Nodes[0].Role != "master" || shards[0].Slots[0].End != 8191 {
		t.Errorf("CLUSTER SHARDS = %+v", shards)
	}
	nodes := ac.ClusterNodes(ctx).Val()
	_, bport, _ := net.SplitHostPort(bAddr)
	bp, _ := strconv.Atoi(bport)
	wantLine := b.ClusterID() + " " + bAddr + "@" + strconv.Itoa(bp+10000) + " master - 0 "
	if !strings.Contains(nodes, a.ClusterID()+" "+aAddr) || !strings.Contains(nodes, "myself,master - 0 0 1 connected 0-8191") ||
		!strings.Contains(nodes, wantLine) || !strings.Contains(nodes, " 1 connected 8192-16383\n") || !strings.Contains(nodes, " slave "+a.ClusterID()+" ") {
		t.Errorf("CLUSTER NODES:\n%s", nodes)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{aAddr}})
	defer cc.Close()
	for i := range 200 {
		k := "key:" + strconv.Itoa(i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		if v, err := cc.Get(ctx, "key:"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("key:%d = %d, %v", i, v, err)
		}
	}
	na, nb := newClient(t, aAddr, 2).DBSize(ctx).Val(), newClient(t, bAddr, 2).DBSize(ctx).Val()
	if na < 50 || nb < 50 {
		t.Errorf("keys not spread over the shards: %d and %d", na, nb)
	}
}

// TestClusterMigrating: ASK, TRYAGAIN and ASKING around a slot in migration.
func TestClusterMigrating(t *testing.T) {
	a, b, _, top := clusterPair(t)
	aAddr, bAddr := a.Addr().String(), b.Addr().String()
	next, err := slots.New(2, top.Nodes(), top.Shards(), []slots.Migration{{Slot: 5061, Source: a.ClusterID(), Target: b.ClusterID()}})
	if err != nil {
		t.Fatal(err)
	}
	runTranscript(t, newClient(t, aAddr, 2), []step{S("SET", "{bar}a", "1").Is("OK")})
	a.SetTopology(next)
	b.SetTopology(next)
	runTranscript(t, newClient(t, aAddr, 2), []step{
		S("SET", "{bar}new", "1").Is(E("ASK 5061 " + bAddr)), // a key not here goes to the target
		S("MGET", "{bar}a", "{bar}b").Is(E("TRYAGAIN Multiple keys request during rehashing of slot")),
		S("MGET", "{bar}b", "{bar}c").Is(E("ASK 5061 " + bAddr)),
		S("GET", "{bar}a").Is("1"),
	})
	runTranscript(t, newClient(t, bAddr, 2), []step{
		S("GET", "{bar}b").Is(E("MOVED 5061 " + aAddr)),
		S("ASKING").Is("OK"),
		S("GET", "{bar}b").Is(nil),
		S("GET", "{bar}b").Is(E("MOVED 5061 " + aAddr)), // ASKING was for one command
		S("ASKING").Is("OK"),
		S("MGET", "{bar}b", "{bar}c").Is(E("TRYAGAIN Multiple keys request during rehashing of slot")),
	})
}

// TestClusterGossip: nodes in cluster mode meet a gossip member (as a sentinel is)
// with CLUSTER MEET, adopt the topology it publishes, and redirect by it; a node with
// another cluster secret cannot meet it.
func TestClusterGossip(t *testing.T) {
	ctx := context.Background()
	sentinel, err := gossip.Start(gossip.Config{Name: "sentinel", Bind: "127.0.0.1:0", Secret: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sentinel.Close()
	shost, sport, _ := net.SplitHostPort(sentinel.Addr())
	var srv [2]*Server
	var nodes []slots.Node
	for i := range srv {
		srv[i], _ = startShoal(t, "cluster-enabled", "yes", "cluster-secret", "k")
		c := newClient(t, srv[i].Addr().String(), 2)
		if err := c.Do(ctx, "CLUSTER", "MEET", shost, sport, sport).Err(); err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(srv[i].Addr().String())
		_, bus, _ := net.SplitHostPort(srv[i].BusAddr())
		p, _ := strconv.Atoi(port)
		bp, _ := strconv.Atoi(bus)
		nodes = append(nodes, slots.Node{ID: srv[i].ClusterID(), IP: host, Port: p, BusPort: bp})
	}
	waitFor(t, 10*time.Second, "the nodes to join", func() bool { return len(sentinel.Members()) == 3 })
	top, err := slots.New(3, nodes, []slots.Shard{
		{ID: strings.Repeat("1", 40), Primary: nodes[0].ID, Slots: slots.Ranges{{Start: 0, End: 8191}}},
		{ID: strings.Repeat("2", 40), Primary: nodes[1].ID, Slots: slots.Ranges{{Start: 8192, End: 16383}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sentinel.Publish(top)
	c0 := newClient(t, srv[0].Addr().String(), 2)
	waitFor(t, 10*time.Second, "the topology to arrive", func() bool {
		return c0.Set(ctx, "bar", "1", 0).Err() == nil
	})
	if err := c0.Set(ctx, "foo", "1", 0).Err(); err == nil || err.Error() != "MOVED 12182 "+srv[1].Addr().String() {
		t.Errorf("SET foo on node 0: %v", err)
	}
	other, _ := startShoal(t, "cluster-enabled", "yes", "cluster-secret", "not-k")
	if err := newClient(t, other.Addr().String(), 2).Do(ctx, "CLUSTER", "MEET", shost, sport, sport).Err(); err == nil {
		t.Error("a node with another secret met the sentinel")
	}
}

// TestClusterReset: CLUSTER RESET refuses a node of the layout; a node outside it (a
// del-node) forgets the topology, leaves the cluster's gossip, rewrites nodes.conf
// (HARD: under a new ID), and then adopts another cluster's topology of a lower epoch.
func TestClusterReset(t *testing.T) {
	ctx := context.Background()
	old, err := gossip.Start(gossip.Config{Name: "sentinel", Bind: "127.0.0.1:0", Secret: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	shost, sport, _ := net.SplitHostPort(old.Addr())
	dir := t.TempDir()
	a, addr := startShoal(t, "cluster-enabled", "yes", "cluster-secret", "k", "dir", dir)
	c := newClient(t, addr, 2)
	if err := c.Do(ctx, "CLUSTER", "MEET", shost, sport, sport).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the node to join", func() bool { return len(old.Members()) == 2 })
	id, bus := a.ClusterID(), a.BusAddr()
	other := slots.Node{ID: strings.Repeat("b", 40), IP: "127.0.0.1", Port: 1, BusPort: 10001}
	layout := func(epoch uint64, primary string) *slots.Topology {
		self := slots.Node{ID: a.ClusterID(), IP: "127.0.0.1", Port: 2, BusPort: 10002}
		top, err := slots.New(epoch, []slots.Node{self, other}, []slots.Shard{
			{ID: strings.Repeat("1", 40), Primary: primary, Slots: slots.Ranges{{Start: 0, End: 16383}}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	old.Publish(layout(8, id))
	waitFor(t, 10*time.Second, "the topology to arrive", func() bool { return a.clusterView().Epoch() == 8 })
	runTranscript(t, c, []step{
		S("CLUSTER", "RESET", "HARD").Is(E("ERR CLUSTER RESET can't be called with master nodes containing keys")),
	})
	old.Publish(layout(9, other.ID)) // removed from the layout (del-node)
	waitFor(t, 10*time.Second, "the topology to arrive", func() bool { return a.clusterView().Epoch() == 9 })

	runTranscript(t, c, []step{S("CLUSTER", "RESET", "HARD").Is("OK")})
	if a.ClusterID() == id || len(a.ClusterID()) != 40 {
		t.Errorf("ID after a hard reset %q (was %s)", a.ClusterID(), id)
	}
	if a.BusAddr() != bus {
		t.Errorf("bus address after the reset %s, was %s", a.BusAddr(), bus)
	}
	if conf, _ := os.ReadFile(filepath.Join(dir, "nodes.conf")); strings.Contains(string(conf), "topology") || !strings.HasPrefix(string(conf), a.ClusterID()+" ") {
		t.Errorf("nodes.conf after the reset:\n%s", conf)
	}
	waitFor(t, 10*time.Second, "the node to leave the old gossip", func() bool { return len(old.Members()) == 1 })
	if info := c.ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_slots_assigned:0\r\n") || !strings.Contains(info, "cluster_current_epoch:0\r\n") {
		t.Errorf("CLUSTER INFO after the reset:\n%s", info)
	}
	if !a.SetTopology(layout(2, a.ClusterID())) {
		t.Error("another cluster's topology of a lower epoch refused after the reset")
	}
	runTranscript(t, c, []step{S("SET", "foo", "1").Is("OK")})
	newID := a.ClusterID()
	a.Close()
	if b, _ := startShoal(t, "cluster-enabled", "yes", "dir", dir); b.ClusterID() != newID {
		t.Errorf("ID after a restart %s, want %s", b.ClusterID(), newID)
	}
}

// TestClusterReplicasLinksHelp: CLUSTER REPLICAS/SLAVES list a primary's replicas as
// CLUSTER NODES lines; BUMPEPOCH answers STILL with the epoch; LINKS is an empty list;
// FLUSHSLOTS refuses a node holding keys; HELP lists the subcommands; all of them
// answer Redis's error without cluster mode.
func TestClusterReplicasLinksHelp(t *testing.T) {
	ctx := context.Background()
	a, b, c, _ := clusterPair(t)
	ca := newClient(t, a.Addr().String(), 2)
	for _, sub := range []string{"REPLICAS", "SLAVES"} {
		lines, err := ca.Do(ctx, "CLUSTER", sub, a.ClusterID()).StringSlice()
		if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], c.ClusterID()+" "+c.Addr().String()+"@") ||
			!strings.Contains(lines[0], " slave "+a.ClusterID()+" ") {
			t.Errorf("CLUSTER %s: %q, %v", sub, lines, err)
		}
	}
	transcript := func(steps ...step) { t.Helper(); runTranscript(t, ca, steps) }
	transcript(
		S("CLUSTER", "REPLICAS", b.ClusterID()).Is([]any{}),
		S("CLUSTER", "REPLICAS", c.ClusterID()).Is(E("ERR The specified node is not a master")),
		S("CLUSTER", "REPLICAS", strings.Repeat("f", 40)).Is(E("ERR Unknown node "+strings.Repeat("f", 40))),
		S("CLUSTER", "BUMPEPOCH").Is("STILL 1"),
		S("CLUSTER", "LINKS").Is([]any{}),
	)
	cb := newClient(t, b.Addr().String(), 2)
	runTranscript(t, cb, []step{S("SET", "foo", "1").Is("OK"), // slot 12182: b's
		S("CLUSTER", "FLUSHSLOTS").Is(E("ERR DB must be empty to perform CLUSTER FLUSHSLOTS."))})
	if help, err := ca.Do(ctx, "CLUSTER", "HELP").StringSlice(); err != nil || len(help) < 40 || !strings.HasPrefix(help[0], "CLUSTER <subcommand>") {
		t.Errorf("CLUSTER HELP: %d lines, %v", len(help), err)
	}
	_, plain := startShoal(t)
	for _, sub := range []string{"REPLICAS x", "SLAVES x", "BUMPEPOCH", "LINKS", "FLUSHSLOTS", "HELP"} {
		args := []any{"CLUSTER"}
		for _, f := range strings.Fields(sub) {
			args = append(args, f)
		}
		if err := newClient(t, plain, 2).Do(ctx, args...).Err(); err == nil || err.Error() != errClusterDisabled {
			t.Errorf("CLUSTER %s without cluster mode: %v", sub, err)
		}
	}
}

// TestClusterDropForeignRecheck: a primary deleting the keys of slots it does not own
// judges each slot again by the topology current when it deletes — a look that was
// held up while a newer topology gave the slot to its shard keeps the slot's keys.
func TestClusterDropForeignRecheck(t *testing.T) {
	a, _, _, top := clusterPair(t)
	given, lost := slots.KeySlot([]byte("foo")), slots.KeySlot([]byte("key"))
	if given < 8192 || lost < 8192 || given == lost {
		t.Fatalf("keys in slots %d and %d: both must be shard 2's", given, lost)
	}
	db := a.eng.DB(0)
	for _, k := range []string{"foo", "key"} {
		sl := slots.KeySlot([]byte(k))
		a.eng.LockSlot(sl)
		db.SetString(sl, []byte(k), []byte("v"), 0, false)
		a.eng.UnlockSlot(sl)
	}
	shards := slices.Clone(top.Shards()) // (Shards is the topology's own: read-only)
	shards[0].Slots = shards[0].Slots.Union(slots.Ranges{{Start: given, End: given}})
	shards[1].Slots = shards[1].Slots.Minus(slots.Ranges{{Start: given, End: given}})
	next, err := slots.New(2, top.Nodes(), shards, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !a.SetTopology(next) {
		t.Fatal("topology not adopted")
	}
	a.dropForeign(top) // (as if the look began before next came)
	a.eng.LockSlot(given)
	kept := db.SlotSize(given)
	a.eng.UnlockSlot(given)
	a.eng.LockSlot(lost)
	left := db.SlotSize(lost)
	a.eng.UnlockSlot(lost)
	if kept != 1 || left != 0 {
		t.Fatalf("slot given to the shard holds %d keys (want 1), slot it lost %d (want 0)", kept, left)
	}
}

// TestClusterSavedTopology: a restarted node answers from the topology it saved in
// cluster-config-file — CLUSTER SLOTS as saved, MOVED to the saved owners — but serves
// nothing (its slots are down, CLUSTER INFO says fail) until a topology at least as
// new arrives; an older one is refused.
func TestClusterSavedTopology(t *testing.T) {
	dir := t.TempDir()
	a, aAddr := startShoal(t, "cluster-enabled", "yes", "dir", dir)
	id := a.ClusterID()
	other := slots.Node{ID: strings.Repeat("b", 40), IP: "127.0.0.1", Port: 1, BusPort: 10001}
	layout := func(epoch uint64) *slots.Topology {
		self := slots.Node{ID: id, IP: "127.0.0.1", Port: 2, BusPort: 10002}
		top, err := slots.New(epoch, []slots.Node{self, other}, []slots.Shard{
			{ID: strings.Repeat("1", 40), Primary: id, Slots: slots.Ranges{{Start: 0, End: 8191}}},
			{ID: strings.Repeat("2", 40), Primary: other.ID, Slots: slots.Ranges{{Start: 8192, End: 16383}}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	if !a.SetTopology(layout(5)) {
		t.Fatal("topology not adopted")
	}
	runTranscript(t, newClient(t, aAddr, 2), []step{S("CLUSTER", "SAVECONFIG").Is("OK")})
	if b, _ := os.ReadFile(filepath.Join(dir, "nodes.conf")); !strings.Contains(string(b), "\ntopology {\"epoch\":5,") {
		t.Fatalf("nodes.conf after CLUSTER SAVECONFIG:\n%s", b)
	}
	a.Close()

	b, addr := startShoal(t, "cluster-enabled", "yes", "dir", dir)
	if b.ClusterID() != id {
		t.Fatalf("restarted node's ID %s, want %s", b.ClusterID(), id)
	}
	c := newClient(t, addr, 2)
	runTranscript(t, c, []step{
		S("SET", "bar", "1").Is(E("CLUSTERDOWN The cluster is down")), // slot 5061: its own as saved
		S("GET", "foo").Is(E("MOVED 12182 127.0.0.1:1")),
		S("CLUSTER", "MYSHARDID").Is(id), // (it follows no topology yet)
		S("FLUSHALL").Is(E("CLUSTERDOWN The cluster is down")),
	})
	ctx := context.Background()
	if cs := c.ClusterSlots(ctx).Val(); len(cs) != 2 || cs[1].Nodes[0].Addr != "127.0.0.1:1" {
		t.Errorf("CLUSTER SLOTS = %+v", cs)
	}
	if info := c.ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_state:fail\r\ncluster_slots_assigned:16384\r\n") {
		t.Errorf("CLUSTER INFO:\n%s", info)
	}
	if b.SetTopology(layout(4)) {
		t.Fatal("a topology older than the saved one was adopted")
	}
	if !b.SetTopology(layout(5)) {
		t.Fatal("the saved epoch's topology not adopted")
	}
	runTranscript(t, c, []step{
		S("SET", "bar", "1").Is("OK"),
		S("CLUSTER", "MYSHARDID").Is(strings.Repeat("1", 40)),
	})
	if info := c.ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_state:ok\r\n") {
		t.Errorf("CLUSTER INFO after the topology came:\n%s", info)
	}
}

// FuzzNodesConf: any cluster-config-file text is read without a panic; one that reads
// has the node's 40-character ID, and a saved topology that reads encodes to what
// decodes to it again.
func FuzzNodesConf(f *testing.F) {
	top, err := slots.New(3, []slots.Node{{ID: strings.Repeat("a", 40), IP: "10.0.0.1", Port: 6379, BusPort: 16379}},
		[]slots.Shard{{ID: strings.Repeat("1", 40), Primary: strings.Repeat("a", 40), Slots: slots.Ranges{{Start: 0, End: 16383}}}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(strings.Repeat("a", 40) + " 10.0.0.1:6379@16379,, myself,master - 0 0 3 connected 0-16383\n" +
		"sentinel s1 10.0.0.9:26380\ntopology " + string(top.Encode()) + "\nvars currentEpoch 3 lastVoteEpoch 0\n"))
	f.Add([]byte(strings.Repeat("b", 40) + " :0@0,, myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"))
	f.Add([]byte("topology {\"epoch\":1,\"nodes\":[{\"id\":\"x\"}]}\n" + strings.Repeat("c", 40) + " 1.2.3.4:5@6 myself\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		nc, ok := parseNodesConf(b)
		if ok && len(nc.myID) != 40 {
			t.Fatalf("node ID %q", nc.myID)
		}
		if nc.saved != nil {
			again, err := slots.Decode(nc.saved.Encode())
			if err != nil || again.Epoch() != nc.saved.Epoch() {
				t.Fatalf("saved topology does not read again: %v", err)
			}
		}
	})
}
