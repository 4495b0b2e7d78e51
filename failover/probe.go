package failover

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/gossip"
)

// Probing: every sentinel (leader or not) probes every data node of the topology
// with PING and INFO replication every ProbeEvery. A node is subjectively down
// (sdown) for this sentinel when no probe got a valid answer for DownAfter; the
// gossip's view is a second input: a node the gossip declared dead counts as down
// after half of DownAfter without an answer. Objectively down needs a majority of the
// group to agree (votes, see lease.go).

// replInfo is what INFO replication said about a node in the last answered probe.
type replInfo struct {
	Role       string // "master" or "slave"
	Offset     int64  // master_repl_offset (primary) or slave_repl_offset (replica)
	LinkUp     bool   // master_link_status:up
	Syncing    bool   // master_sync_in_progress:1
	LinkDown   int64  // master_link_down_since_seconds (-1 when the link is up)
	Priority   int    // slave_priority
	MasterHost string
	MasterPort int
	Safe       bool // shard_durability:safe (a primary acknowledging only replicated writes)
	RunID      string
	// Replicas are the replicas a primary lists (slaveN:ip=…,port=…,state=…,offset=…).
	Replicas []replicaLine
}

// replicaLine is one slaveN line of a primary's INFO replication.
type replicaLine struct {
	IP     string
	Port   int
	State  string
	Offset int64
}

// probeState is one node's probe record.
type probeState struct {
	since  time.Time // probing started
	lastOK time.Time // last valid answer (zero: none yet)
	info   replInfo
	// For the Redis Sentinel API: the probe in flight (zero: none), the last answer
	// of any kind, the last INFO (text and time), when the reported role last changed,
	// and whether the connection works.
	pingSent, lastReply, infoAt, roleAt time.Time
	infoText                            string
	connected                           bool
	target                              target // what is probed, and how
	sdown                               bool   // as last reported in an event
	seen                                bool   // the gossip counted the node alive once (so its absence means dead)
	stop                                chan struct{}
}

// target is one instance to probe: its address, credentials and down-after, and for
// a data node its node ID (an answer from another node at that address — the
// process restarted on an empty disk, or another one took the address — is no
// answer from it).
type target struct {
	addr, user, pass string
	nodeID           string
	downAfter        time.Duration
}

// targets are the instances to probe, by probe key: the topology's data nodes (by
// node ID) and the members of the standalone groups (by "ip:port").
func (s *Sentinel) targets() map[string]target {
	want := map[string]target{}
	for _, n := range s.store.Topology().Nodes() {
		want[n.ID] = target{addr: net.JoinHostPort(n.IP, strconv.Itoa(n.Port)), nodeID: n.ID, downAfter: s.cfg.DownAfter}
	}
	for _, g := range s.store.fsm.Groups() {
		m := groupMaster(g, s.cfg.DownAfter)
		for _, k := range append([]string{g.Primary}, g.Replicas...) {
			want[k] = target{addr: k, user: g.AuthUser, pass: g.AuthPass, downAfter: m.downAfter}
		}
	}
	return want
}

// prober keeps one probing goroutine per instance to probe (targets).
type prober struct {
	s     *Sentinel
	mu    sync.Mutex
	nodes map[string]*probeState // by node ID
}

// run follows the topology until the sentinel stops, starting and stopping the
// per-node probes as nodes come and go or change address.
func (p *prober) run() {
	defer p.s.wg.Done()
	for {
		p.sync(p.s.targets())
		p.s.leases.observe(p.s.store.Voters()) // membership changes hold down votes (lease.go)
		select {
		case <-p.s.stop:
			p.mu.Lock()
			for id, st := range p.nodes {
				close(st.stop)
				delete(p.nodes, id)
			}
			p.mu.Unlock()
			return
		case <-time.After(p.s.cfg.ProbeEvery):
		}
	}
}

// sync starts probes of the targets not probed yet and stops those of instances no
// longer wanted (or wanted at another address or with other credentials).
func (p *prober) sync(want map[string]target) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, st := range p.nodes {
		t, ok := want[id]
		if !ok || t.addr != st.target.addr || t.user != st.target.user || t.pass != st.target.pass {
			close(st.stop)
			delete(p.nodes, id)
			continue
		}
		st.target.downAfter = t.downAfter
	}
	for id, t := range want {
		if _, ok := p.nodes[id]; !ok {
			st := &probeState{target: t, since: time.Now(), stop: make(chan struct{})}
			p.nodes[id] = st
			p.s.wg.Add(1)
			go p.probe(id, st)
		}
	}
}

// probe probes one node until told to stop.
func (p *prober) probe(id string, st *probeState) {
	defer p.s.wg.Done()
	cfg := p.s.cfg
	timeout := min(cfg.DownAfter/2, time.Second)
	cl := redis.NewClient(&redis.Options{Addr: st.target.addr, Username: st.target.user, Password: st.target.pass,
		Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		PoolSize: 1, DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, Dialer: gossip.DialOf(p.s.cfg.Faults)})
	defer cl.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		p.mu.Lock()
		st.pingSent = time.Now()
		p.mu.Unlock()
		err := cl.Ping(ctx).Err()
		var rerr redis.Error
		answered := err == nil || errors.As(err, &rerr)
		ok := pingOK(err)
		var info replInfo
		text := ""
		if ok {
			if text, err = cl.Info(ctx, "server", "replication").Result(); err == nil {
				info = parseReplInfo(text)
			}
			if st.target.nodeID != "" {
				if id, err := cl.Do(ctx, "CLUSTER", "MYID").Text(); err == nil && id != st.target.nodeID {
					ok, text = false, ""
				}
			}
		}
		cancel()
		p.mu.Lock()
		now := time.Now()
		st.pingSent, st.connected = time.Time{}, answered
		if answered {
			st.lastReply = now
		}
		rebooted := false
		if ok {
			if info.Role != st.info.Role {
				st.roleAt = now
			}
			rebooted = st.info.RunID != "" && info.RunID != "" && info.RunID != st.info.RunID
			st.lastOK, st.info = now, info
			if text != "" {
				st.infoText, st.infoAt = text, now
			}
		}
		p.mu.Unlock()
		if rebooted {
			p.s.event("+reboot", p.s.describe(id))
		}
		p.report(id)
		select {
		case <-st.stop:
			return
		case <-time.After(cfg.ProbeEvery):
		}
	}
}

// pingOK reports whether a PING answer shows the node alive: PONG, or the errors
// Redis Sentinel accepts as such (LOADING, MASTERDOWN).
func pingOK(err error) bool {
	if err == nil {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "MASTERDOWN")
}

// parseReplInfo reads the fields of INFO replication that failover needs.
func parseReplInfo(text string) replInfo {
	in := replInfo{LinkDown: -1, Priority: 100}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "role":
			in.Role = v
		case "master_repl_offset":
			if in.Role == "master" {
				in.Offset = n
			}
		case "slave_repl_offset":
			in.Offset = n
		case "master_link_status":
			in.LinkUp = v == "up"
		case "master_sync_in_progress":
			in.Syncing = v == "1"
		case "master_link_down_since_seconds":
			in.LinkDown = n
		case "slave_priority":
			in.Priority = int(n)
		case "master_host":
			in.MasterHost = v
		case "master_port":
			in.MasterPort = int(n)
		case "shard_durability":
			in.Safe = v == "safe"
		case "run_id":
			in.RunID = v
		default:
			if strings.HasPrefix(k, "slave") && strings.Contains(v, "ip=") {
				in.Replicas = append(in.Replicas, parseReplicaLine(v))
			}
		}
	}
	return in
}

// parseReplicaLine reads "ip=…,port=…,state=…,offset=…,lag=…".
func parseReplicaLine(v string) replicaLine {
	var r replicaLine
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "ip":
			r.IP = val
		case "port":
			r.Port, _ = strconv.Atoi(val)
		case "state":
			r.State = val
		case "offset":
			r.Offset, _ = strconv.ParseInt(val, 10, 64)
		}
	}
	return r
}

// view is a node's probe record (ok false when the node is not probed).
func (p *prober) view(id string) (probeState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.nodes[id]
	if !ok {
		return probeState{}, false
	}
	return *st, true
}

// sdown reports whether node id is subjectively down for this sentinel now.
func (p *prober) sdown(id string) bool {
	st, ok := p.view(id)
	return ok && p.down(st, p.alive(id))
}

// alive reports whether the gossip counts node id alive, or never did since this
// sentinel started probing it (a node the gossip has not met yet is not dead).
func (p *prober) alive(id string) bool {
	alive := p.s.gossipAlive(id)
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.nodes[id]
	if !ok {
		return alive
	}
	if alive {
		st.seen = true
	}
	return alive || !st.seen
}

// down decides sdown from a probe record and whether the gossip sees the node alive
// (see alive).
func (p *prober) down(st probeState, alive bool) bool {
	last := st.lastOK
	if last.IsZero() {
		last = st.since
	}
	silent := time.Since(last)
	after := st.target.downAfter
	if after <= 0 {
		after = p.s.cfg.DownAfter
	}
	return silent > after || (!alive && silent > after/2)
}

// report writes the +sdown / -sdown event when node id's state changed.
func (p *prober) report(id string) {
	down := p.sdown(id)
	p.mu.Lock()
	st, ok := p.nodes[id]
	changed := ok && st.sdown != down
	if changed {
		st.sdown = down
	}
	p.mu.Unlock()
	if changed {
		sign := "+"
		if !down {
			sign = "-"
		} else {
			p.s.metrics.sdowns.Inc()
		}
		p.s.event(sign+"sdown", p.s.describe(id))
	}
}
