package failover

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
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
}

// probeState is one node's probe record.
type probeState struct {
	addr   string    // host:port probed
	since  time.Time // probing started
	lastOK time.Time // last valid answer (zero: none yet)
	info   replInfo
	sdown  bool // as last reported in an event
	seen   bool // the gossip counted the node alive once (so its absence means dead)
	stop   chan struct{}
}

// prober keeps one probing goroutine per data node of the latest topology.
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
		p.sync(p.s.store.Topology())
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

// sync starts probes of the nodes of top not probed yet and stops those of nodes
// that left it.
func (p *prober) sync(top *slots.Topology) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]string{}
	for _, n := range top.Nodes() {
		want[n.ID] = net.JoinHostPort(n.IP, strconv.Itoa(n.Port))
	}
	for id, st := range p.nodes {
		if want[id] != st.addr {
			close(st.stop)
			delete(p.nodes, id)
		}
	}
	for id, addr := range want {
		if _, ok := p.nodes[id]; !ok {
			st := &probeState{addr: addr, since: time.Now(), stop: make(chan struct{})}
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
	cl := redis.NewClient(&redis.Options{Addr: st.addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		PoolSize: 1, DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout})
	defer cl.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		ok := pingOK(cl.Ping(ctx).Err())
		var info replInfo
		if ok {
			if text, err := cl.Info(ctx, "replication").Result(); err == nil {
				info = parseReplInfo(text)
			}
		}
		cancel()
		p.mu.Lock()
		if ok {
			st.lastOK, st.info = time.Now(), info
		}
		p.mu.Unlock()
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
		}
	}
	return in
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
	return silent > p.s.cfg.DownAfter || (!alive && silent > p.s.cfg.DownAfter/2)
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
		}
		p.s.event(sign+"sdown", p.s.describe(id))
	}
}
