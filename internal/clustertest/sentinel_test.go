package clustertest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/sentinelapi"
)

// sentinelClient is go-redis's Sentinel client of sentinel i (RESP3, as go-redis
// connects by default).
func (c *Cluster) sentinelClient(i int) *redis.SentinelClient {
	sc := redis.NewSentinelClient(&redis.Options{Addr: c.Sentinels[i].Addr()})
	c.t.Cleanup(func() { sc.Close() })
	return sc
}

// TestSentinelAPI: the Redis Sentinel commands describe the cluster's shards as
// masters named by shard ID, and every sentinel publishes +switch-master when a
// shard's primary changes.
func TestSentinelAPI(t *testing.T) {
	ctx := context.Background()
	c := StartTuned(t, 3, 4, nil)
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	sc := c.sentinelClient(1)
	name := ShardID(0)
	c.waitFor("the replica probed and the other sentinels met", func() bool {
		ms, err := sc.Replicas(ctx, name).Result()
		return err == nil && len(ms) == 1 && ms[0]["master-link-status"] == "ok" &&
			sc.Master(ctx, name).Val()["num-other-sentinels"] == "2"
	})

	m, err := sc.Master(ctx, name).Result()
	if err != nil || m["name"] != name || m["flags"] != "master" || m["num-slaves"] != "1" || m["quorum"] != "2" ||
		m["num-other-sentinels"] != "2" || m["runid"] == "" || m["role-reported"] != "master" {
		t.Errorf("SENTINEL MASTER: %v %v", m, err)
	}
	masters, err := sc.Masters(ctx).Result()
	if err != nil || len(masters) != 2 {
		t.Errorf("SENTINEL MASTERS: %v %v", masters, err)
	}
	addr, err := sc.GetMasterAddrByName(ctx, name).Result()
	if err != nil || net.JoinHostPort(addr[0], addr[1]) != c.Nodes[0].Addr().String() {
		t.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: %v %v", addr, err)
	}
	if _, err := sc.GetMasterAddrByName(ctx, "nope").Result(); err != redis.Nil {
		t.Errorf("GET-MASTER-ADDR-BY-NAME of an unknown master: %v", err)
	}
	reps, _ := sc.Replicas(ctx, name).Result()
	if r := reps[0]; r["flags"] != "slave" || r["ip"]+":"+r["port"] != c.Nodes[1].Addr().String() ||
		r["master-host"]+":"+r["master-port"] != c.Nodes[0].Addr().String() {
		t.Errorf("SENTINEL REPLICAS: %v", reps)
	}
	if ss, err := sc.Sentinels(ctx, name).Result(); err != nil || len(ss) != 2 || ss[0]["flags"] != "sentinel" {
		t.Errorf("SENTINEL SENTINELS: %v %v", ss, err)
	}
	if r, err := sc.CkQuorum(ctx, name).Result(); err != nil || r != "OK 3 usable Sentinels. Quorum and failover authorization can be reached" {
		t.Errorf("SENTINEL CKQUORUM: %q %v", r, err)
	}
	if err := sc.Master(ctx, "nope").Err(); err == nil || err.Error() != "ERR No such master with that name" {
		t.Errorf("SENTINEL MASTER nope: %v", err)
	}
	info := c.SentinelClient(c.Sentinels[1]).Info(ctx).Val()
	for _, want := range []string{"redis_mode:sentinel", "sentinel_masters:2", "master0:name=" + name + ",status=ok"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
	raw := c.SentinelClient(c.Sentinels[1])
	if err := raw.Do(ctx, "SENTINEL", "CONFIG", "SET", "announce-port", "26380").Err(); err != nil {
		t.Errorf("SENTINEL CONFIG SET: %v", err)
	}
	if v, err := raw.Do(ctx, "SENTINEL", "CONFIG", "GET", "announce-*").Slice(); err != nil || fmt.Sprint(v) != "[announce-hostnames no announce-ip  announce-port 26380]" {
		t.Errorf("SENTINEL CONFIG GET: %v %v", v, err)
	}
	if v, err := raw.Do(ctx, "ROLE").Slice(); err != nil || v[0] != "sentinel" || len(v[1].([]any)) != 2 {
		t.Errorf("ROLE: %v %v", v, err)
	}
	if v, err := raw.Do(ctx, "SENTINEL", "INFO-CACHE", name).Slice(); err != nil || len(v) != 2 ||
		!strings.Contains(fmt.Sprint(v[1]), "role:master") {
		t.Errorf("SENTINEL INFO-CACHE: %v %v", v, err)
	}

	// A manual failover: a follower's subscribers hear +switch-master. (Once every
	// sentinel has seen the replica replicating: any of them may lead.)
	c.waitFor("a write to shard 0", func() bool {
		return c.Client(c.Nodes[0]).Set(ctx, slotKey(0, 2, "k"), 1, 0).Err() == nil
	})
	all := []*redis.SentinelClient{c.sentinelClient(0), sc, c.sentinelClient(2)}
	c.waitFor("every sentinel seeing the replica replicating", func() bool {
		for _, cl := range all {
			reps, err := cl.Replicas(ctx, name).Result()
			if err != nil || len(reps) != 1 || reps[0]["master-link-status"] != "ok" || reps[0]["slave-repl-offset"] == "0" {
				return false
			}
		}
		return true
	})
	sub := c.sentinelClient(2).Subscribe(ctx, "+switch-master")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sentinelapi.Leader(ctx, c.sentinelAddrs(), "FAILOVER", name); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	want := fmt.Sprintf("%s %s %s", name, spacedAddr(c.Nodes[0]), spacedAddr(c.Nodes[1]))
	if err != nil || msg.Payload != want {
		t.Errorf("+switch-master: %v %v, want %q", msg, err, want)
	}
}

// spacedAddr is a server's address as Sentinel events write it ("ip port").
func spacedAddr(n *node.Server) string { return strings.Replace(n.Addr().String(), ":", " ", 1) }

// TestSentinelMonitor: a standalone primary with two replicas, watched through
// SENTINEL MONITOR. The sentinels learn the replicas from the primary; when the
// primary dies they promote a replica, go-redis's FailoverClient follows
// +switch-master and its writes go on, and the old primary, back, is made a replica
// of the new one.
func TestSentinelMonitor(t *testing.T) {
	ctx := context.Background()
	var events SyncBuffer
	c := fastFailover(t, 3, 0, &events)
	pdir := t.TempDir()
	servers := []*node.Server{c.StartServer(pdir, "--port", "0")}
	phost, pport, _ := net.SplitHostPort(servers[0].Addr().String())
	for range 2 {
		servers = append(servers, c.StartServer(t.TempDir(), "--port", "0", "--replicaof", phost+" "+pport))
	}
	if _, err := sentinelapi.Leader(ctx, c.sentinelAddrs(), "MONITOR", "grp", phost, pport, 2); err != nil {
		t.Fatalf("SENTINEL MONITOR: %v", err)
	}
	// Told to each sentinel, as Redis Sentinel's operators do: a follower hands it to
	// the leader, and the same group again is no error; another one of that name is.
	for i := range c.Sentinels {
		if err := c.SentinelClient(c.Sentinels[i]).Do(ctx, "SENTINEL", "MONITOR", "grp", phost, pport, 2).Err(); err != nil {
			t.Errorf("SENTINEL MONITOR on sentinel %d: %v", i, err)
		}
	}
	if err := c.SentinelClient(c.Sentinels[1]).Do(ctx, "SENTINEL", "MONITOR", "grp", phost, pport, 3).Err(); err == nil ||
		err.Error() != "ERR Duplicated master name" {
		t.Errorf("SENTINEL MONITOR of another group of that name: %v", err)
	}
	sc := c.sentinelClient(2)
	c.waitFor("the replicas discovered and probed", func() bool {
		reps, err := sc.Replicas(ctx, "grp").Result()
		return err == nil && len(reps) == 2 && reps[0]["master-link-status"] == "ok" && reps[1]["master-link-status"] == "ok"
	})
	if _, err := sentinelapi.Leader(ctx, c.sentinelAddrs(), "SET", "grp", "down-after-milliseconds", "500"); err != nil {
		t.Fatalf("SENTINEL SET: %v", err)
	}
	c.waitFor("the setting applied", func() bool {
		m := sc.Master(ctx, "grp").Val()
		return m["down-after-milliseconds"] == "500" && m["quorum"] == "2" && m["num-slaves"] == "2"
	})

	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "grp", SentinelAddrs: c.sentinelAddrs(),
		MaxRetries: -1, DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second})
	defer fc.Close()
	if err := fc.Set(ctx, "before", 1, 0).Err(); err != nil {
		t.Fatalf("SET through the FailoverClient: %v", err)
	}
	old := servers[0].Addr().String()
	servers[0].Close()
	c.waitFor("a write through the FailoverClient to the new primary", func() bool {
		return fc.Set(ctx, "after", 1, 0).Err() == nil
	})
	// (This sentinel may apply the commit a moment after the one the client asked.)
	var newAddr string
	c.waitFor("the new primary on the sentinel asked", func() bool {
		addr := sc.GetMasterAddrByName(ctx, "grp").Val()
		if len(addr) != 2 {
			return false
		}
		newAddr = net.JoinHostPort(addr[0], addr[1])
		return newAddr != old
	})
	if !strings.Contains(events.String(), "+switch-master grp "+strings.Replace(old, ":", " ", 1)) {
		t.Errorf("no +switch-master event:\n%s", events.String())
	}
	var promoted *node.Server
	for _, s := range servers[1:] {
		if s.Addr().String() == newAddr {
			promoted = s
		}
	}
	if promoted == nil || !strings.Contains(c.Client(promoted).Info(ctx, "replication").Val(), "role:master") {
		t.Fatalf("%s is not a primary", newAddr)
	}

	// The metrics: the leader that failed the group over counted it and timed it.
	var failovers, timed, groups float64
	for _, sn := range c.Sentinels {
		failovers += metric(t, sn, "shoal_sentinel_failovers_total")
		timed += metric(t, sn, "shoal_sentinel_failover_duration_seconds")
		groups = max(groups, metric(t, sn, "shoal_sentinel_masters", "kind", "group"))
	}
	if failovers != 1 || timed != 1 || groups != 1 {
		t.Errorf("metrics: %v failovers, %v timed, %v groups", failovers, timed, groups)
	}

	// The old primary comes back (empty): the leader makes it a replica of the new one.
	back := c.StartServer(pdir, "--port", pport)
	_, nport, _ := net.SplitHostPort(newAddr)
	c.waitFor("the old primary replicating from the new one", func() bool {
		info := c.Client(back).Info(ctx, "replication").Val()
		return strings.Contains(info, "master_port:"+nport+"\r") && strings.Contains(info, "master_link_status:up")
	})
	c.waitFor("the old primary's copy", func() bool { return c.Client(back).Exists(ctx, "after").Val() == 1 })

	if _, err := sentinelapi.Leader(ctx, c.sentinelAddrs(), "REMOVE", "grp"); err != nil {
		t.Fatalf("SENTINEL REMOVE: %v", err)
	}
	c.waitFor("the group gone", func() bool { return sc.Master(ctx, "grp").Err() != nil })
}

// TestLeaderCrashMidFailover: the sentinel leader crashes (SENTINEL SIMULATE-FAILURE
// crash-after-election) once it has gathered the votes to replace a dead primary and
// before it commits; the remaining sentinels elect another leader, which completes
// the failover.
func TestLeaderCrashMidFailover(t *testing.T) {
	ctx := context.Background()
	var events SyncBuffer
	var c *Cluster
	crashed := make(chan string, 3)
	c = StartTuned(t, 3, 2, func(cfg *failover.SentinelConfig) {
		cfg.DownAfter, cfg.ProbeEvery, cfg.ValidityFactor = 400*time.Millisecond, 50*time.Millisecond, 50
		cfg.Events = &events
		id := cfg.ID
		cfg.Crash = func() {
			crashed <- id
			for _, s := range c.Sentinels {
				if s.ID() == id {
					go s.Close()
				}
			}
		}
	})
	epoch := c.Create(1) // one shard: node 0 + node 1
	// A replica that never finished its first sync is no candidate (the next leader
	// would rightly abort): node 0 goes only once node 1 holds its data.
	c.waitFor("the replica in sync", func() bool {
		return strings.Contains(c.Client(c.Nodes[1]).Info(ctx, "replication").Val(), "master_link_status:up")
	})
	c.waitFor("a sentinel leader", func() bool { return c.leader() != nil })
	lead := c.leader()
	if err := c.SentinelClient(lead).Do(ctx, "SENTINEL", "SIMULATE-FAILURE", "crash-after-election").Err(); err != nil {
		t.Fatalf("SIMULATE-FAILURE: %v", err)
	}
	c.Nodes[0].Close()
	select {
	case id := <-crashed:
		if id != lead.ID() {
			t.Fatalf("%s crashed, not the leader %s", id, lead.ID())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the leader did not crash:\n%s", events.String())
	}
	if p, e := c.primaryOf(0); p != c.Nodes[0].ClusterID() || e != epoch {
		t.Fatalf("the crashed leader committed the failover (primary %s, epoch %d)", p, e)
	}
	c.waitFor("the failover completed by the next leader", func() bool {
		p, e := c.primaryOf(0)
		return p == c.Nodes[1].ClusterID() && e > epoch
	})
	c.waitFor("writes on the new primary", func() bool {
		return c.Client(c.Nodes[1]).Set(ctx, slotKey(0, 1, "k"), 1, 0).Err() == nil
	})
}

// metric reads a metric of sentinel s (the sample count of a histogram), among the
// samples whose label has value (when given).
func metric(t *testing.T, s *failover.Sentinel, name string, label ...string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if len(label) == 2 && lp.GetName() == label[0] && lp.GetValue() != label[1] {
					continue samples
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

// TestSentinelJoinSettles: a sentinel joins a group of two while the leader's link to
// the other member is slow, so the change commits before that member has it. SENTINEL
// JOIN answers only once the other member lists the new one (SENTINEL VOTERS), so
// when the leader is cut off right after, the other two elect a leader. (Without the
// wait, the member that missed the change refused the new one's votes — it did not
// know it — and could not win without the leader: no leader until the cut healed.)
func TestSentinelJoinSettles(t *testing.T) {
	c := StartFaulty(t, 3, 0, fastTune(nil))
	c.RemoveSentinel(2)
	c.Net.Partition([]string{"sentinel-2"}, []string{c.Sentinels[0].ID(), c.Sentinels[1].ID()})
	c.waitFor("a leader of the two", func() bool { return c.leader() != nil })
	l := c.leader()
	other := c.Sentinels[0]
	if other == l {
		other = c.Sentinels[1]
	}
	// (Below the leader lease: a slower link would make the leader step down.)
	c.Net.Slow(l.ID(), other.ID(), 80*time.Millisecond)
	s := c.AddSentinel()
	voters, err := sentinelapi.Do(context.Background(), other.Addr(), "VOTERS").StringSlice()
	if err != nil || !slices.Contains(voters, s.ID()) {
		t.Errorf("SENTINEL VOTERS on the other member once JOIN answered: %v %v", voters, err)
	}
	c.Net.Partition([]string{l.ID()}, []string{other.ID(), s.ID()})
	c.waitFor("a leader among the other two", func() bool { return other.Store().IsLeader() || s.Store().IsLeader() })
}
