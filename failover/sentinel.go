package failover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// SentinelConfig configures a sentinel: one member of the Raft group that owns the
// topology, a gossip member that spreads it, and a RESP endpoint for operators and
// tools.
type SentinelConfig struct {
	ID   string // stable member ID (Raft server ID and gossip name)
	Dir  string // Raft state
	Addr string // RESP endpoint, "127.0.0.1:26379" ("…:0": any port)
	Raft string // Raft address
	Bus  string // gossip address
	// Secret is the cluster secret the gossip shares with the data nodes; the
	// sentinels' Raft connections prove they know it too.
	Secret string
	// BusJoin are gossip addresses of members to join (other sentinels), if any.
	BusJoin []string
	// Bootstrap starts a new group: with this sentinel alone when Peers is empty (the
	// others join it later, SENTINEL JOIN), or with every member of Peers at once (each
	// of them is started with the same Peers).
	Bootstrap bool
	// Peers maps the sentinel IDs of a group bootstrapped at once to their Raft
	// addresses, this sentinel included.
	Peers map[string]string
	Fast  bool      // short Raft timeouts (tests, the local lab)
	Log   io.Writer // Raft's and memberlist's logs

	// Failure handling (zero: the defaults).
	//
	// DownAfter is how long a node must leave probes unanswered to be down for this
	// sentinel (Redis Sentinel's down-after-milliseconds); default 2 s.
	DownAfter time.Duration
	// ProbeEvery is the interval of the probes (PING, INFO replication) and of the
	// leader's checks; default 200 ms.
	ProbeEvery time.Duration
	// Lease is the write lease granted to primaries; default DownAfter/2.
	Lease time.Duration
	// FenceFor is how long a down vote refuses the node leases; default 10 s (and at
	// least 4 × Lease).
	FenceFor time.Duration
	// ValidityFactor: a replica whose link to its primary has been down longer than
	// ValidityFactor × DownAfter is not promoted (cluster-replica-validity-factor);
	// default 10.
	ValidityFactor int
	// Events receives the failover timeline (+sdown, +odown, +switch-master …), one
	// line per event; nil discards it. The events are also published on the
	// sentinel's pub/sub channels named after them, as Redis Sentinel does.
	Events io.Writer
	// Faults, if set, carries every connection the sentinel makes (Raft, probes,
	// votes) and its gossip (tests of partitions: internal/faults).
	Faults gossip.Faults
	// Crash, if set, replaces the process exit of SENTINEL SIMULATE-FAILURE.
	Crash func()
}

// withDefaults fills in the failure handling defaults.
func (c SentinelConfig) withDefaults() SentinelConfig {
	if c.DownAfter <= 0 {
		c.DownAfter = 2 * time.Second
	}
	if c.ProbeEvery <= 0 {
		c.ProbeEvery = 200 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = c.DownAfter / 2
	}
	if c.FenceFor <= 0 {
		c.FenceFor = 10 * time.Second
	}
	c.FenceFor = max(c.FenceFor, 4*c.Lease)
	if c.ValidityFactor <= 0 {
		c.ValidityFactor = 10
	}
	return c
}

// Sentinel is a running sentinel.
type Sentinel struct {
	cfg    SentinelConfig
	store  *Store
	gossip *gossip.Gossip
	ln     net.Listener
	wg     sync.WaitGroup

	probes  *prober
	leases  *leases
	metrics *sentinelMetrics

	failovers  atomic.Int64 // failovers committed by this sentinel as leader
	voteRounds atomic.Int64 // down votes gathered by this sentinel as leader
	events     atomic.Int64 // failover timeline events written
	evMu       sync.Mutex   // one event line at a time

	runMu   sync.Mutex
	running map[string]bool      // masters with a failover running (claim)
	odown   map[string]time.Time // masters the leader found objectively down, since
	// reconfAt: when a group member was last sent REPLICAOF (grouploop.go)
	reconfAt map[string]time.Time

	subMu sync.Mutex
	subs  map[*session]struct{} // sessions with subscriptions

	cfgMu      sync.Mutex
	settings   map[string]string // SENTINEL CONFIG
	simFailure atomic.Int32      // SENTINEL SIMULATE-FAILURE flags
	started    time.Time
	topMu      sync.Mutex
	lastTop    *slots.Topology  // the topology last applied (watchTopology's)
	lastGroups map[string]Group // the groups last applied (watchGroups's)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
	stop  chan struct{} // closed by Close
}

// StartSentinel starts a sentinel: its Raft member (recovering its state from Dir),
// its gossip member, which publishes every topology the group commits, and its RESP
// endpoint.
func StartSentinel(cfg SentinelConfig) (*Sentinel, error) {
	cfg = cfg.withDefaults()
	s := &Sentinel{cfg: cfg, conns: map[net.Conn]struct{}{}, stop: make(chan struct{}), leases: newLeases(),
		running: map[string]bool{}, odown: map[string]time.Time{}, reconfAt: map[string]time.Time{}, subs: map[*session]struct{}{},
		settings: defaultSettings(), started: time.Now(), metrics: newSentinelMetrics()}
	s.probes = &prober{s: s, nodes: map[string]*probeState{}}
	var err error
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, err
	}
	fsm := NewFSM()
	var published atomic.Pointer[gossip.Gossip] // set once the gossip runs
	fsm.OnChange = func(top *slots.Topology) {
		if g := published.Load(); g != nil {
			g.Publish(top)
		}
		s.watchTopology(top)
	}
	fsm.OnGroups = s.watchGroups
	var peers []raft.Server
	for id, addr := range cfg.Peers {
		peers = append(peers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(addr)})
	}
	slices.SortFunc(peers, func(a, b raft.Server) int { return strings.Compare(string(a.ID), string(b.ID)) })
	st, err := OpenStore(StoreConfig{ID: cfg.ID, Dir: cfg.Dir, Bind: cfg.Raft, Bootstrap: cfg.Bootstrap, Peers: peers,
		Fast: cfg.Fast, Log: cfg.Log, Dial: gossip.DialOf(cfg.Faults), Secret: cfg.Secret}, fsm)
	if err != nil {
		s.ln.Close()
		return nil, err
	}
	s.store = st
	// A sentinel's gossip metadata names its RESP and Raft addresses, so a member can
	// tell clients where the leader's RESP endpoint is.
	meta := gossip.SentinelMeta(s.ln.Addr().String(), st.Addr())
	g, err := gossip.Start(gossip.Config{Name: cfg.ID, Bind: cfg.Bus, Secret: cfg.Secret,
		Meta: func() []byte { return meta }, Log: cfg.Log, Faults: cfg.Faults}, cfg.BusJoin)
	if err != nil {
		st.Close()
		s.ln.Close()
		return nil, err
	}
	s.gossip = g
	published.Store(g)
	g.Publish(fsm.Topology()) // what the log restored
	s.wg.Add(5)
	go s.serve()
	go s.rememberMembers()
	go s.rejoinMembers()
	go s.probes.run()
	go s.monitorLeadership()
	return s, nil
}

// Addr is the sentinel's RESP address; RaftAddr and BusAddr its Raft and gossip ones.
func (s *Sentinel) ID() string       { return s.cfg.ID }
func (s *Sentinel) Addr() string     { return s.ln.Addr().String() }
func (s *Sentinel) RaftAddr() string { return s.store.Addr() }
func (s *Sentinel) BusAddr() string  { return s.gossip.Addr() }

// JoinBus joins the gossip of the member at addr.
func (s *Sentinel) JoinBus(addr string) error { return s.gossip.Join(addr) }

// Nodes is what the data nodes the gossip knows announce about themselves (ID, role,
// shard, address, replication offset).
func (s *Sentinel) Nodes() []gossip.NodeMeta {
	var out []gossip.NodeMeta
	for _, m := range s.gossip.Members() {
		if nm, ok := gossip.ParseNodeMeta(m.Meta); ok {
			out = append(out, nm)
		}
	}
	return out
}

// Stats are counters of the sentinel's failure handling.
type Stats struct {
	Failovers  int64 // failovers this sentinel committed as the leader
	VoteRounds int64 // rounds of down votes it gathered as the leader
	Events     int64 // timeline events it wrote
}

// Stats returns the sentinel's counters.
func (s *Sentinel) Stats() Stats {
	return Stats{Failovers: s.failovers.Load(), VoteRounds: s.voteRounds.Load(), Events: s.events.Load()}
}

// Store is the sentinel's Raft member.
func (s *Sentinel) Store() *Store { return s.store }

// Close stops the sentinel; closing it again does nothing.
func (s *Sentinel) Close() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil
	}
	s.done = true
	close(s.stop)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
	err := s.store.Close()
	s.gossip.Close()
	return err
}

func (s *Sentinel) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			conn.Close()
		}()
	}
}

// command runs one request:
//
//	PING
//	SENTINEL MYID                    this sentinel's ID
//	SENTINEL TOPOLOGY                the committed topology (its wire form, JSON)
//	SENTINEL LEADER                  the leader's RESP address ("" when unknown)
//	SENTINEL PROPOSE <change-json> [WITHTOPOLOGY]
//	                                 commit a topology change (on the leader);
//	                                 answers the new epoch, or with WITHTOPOLOGY
//	                                 [epoch, the topology's wire form then]
//	SENTINEL BUS                     this sentinel's gossip address (what a data
//	                                 node is told to CLUSTER MEET)
//	SENTINEL JOIN <id> <raft-addr>   add a sentinel to the group (on the leader);
//	                                 answers the leader's gossip address, to join,
//	                                 once the other members list it (see settle;
//	                                 the new one then waits for itself: AwaitVoter)
//	SENTINEL FORGET <id>             take a sentinel out of the group (on the leader;
//	                                 a member cut off from the others can be
//	                                 replaced: forget it, then join a new one)
//	SENTINEL VOTERS                  the group's voting members as this sentinel's
//	                                 Raft configuration has them
//	SENTINEL LEASE <node-id>         a write lease for a primary: [lease-ms,
//	                                 voter count, this sentinel's ID, [voter IDs]],
//	                                 or -NOLEASE why (see lease.go)
//	SENTINEL FENCE <node-id>         refuse the node leases (its current primaryship);
//	                                 answers how long its last lease still runs (ms)
//	SENTINEL PROMOTE <node-id> [FORCE|TAKEOVER]
//	                                 manual failover to that replica (on the leader;
//	                                 see manual.go); answers the new epoch
//	SENTINEL FAILOVER <shard-id>     manual failover of the shard to its best replica
//	                                 (Redis Sentinel's, the shard ID as master name)
//	SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid>
//	                                 this sentinel's down vote about the node:
//	                                 [down 0|1, leader runid or "*", epoch]; a
//	                                 runid other than "*" is a leader's vote
//	                                 request, and a down vote fences the node
//
// On a member that is not the leader, PROPOSE, JOIN and FORGET answer
// "-NOTLEADER <the leader's RESP address>".
func (s *Sentinel) command(w *resp.Writer, args [][]byte) {
	name := strings.ToUpper(string(args[0]))
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(string(args[1]))
	}
	switch {
	case name == "PING":
		w.Simple("PONG")
	case name == "SENTINEL" && sub == "MYID" && len(args) == 2:
		w.BulkString(s.cfg.ID)
	case name == "SENTINEL" && sub == "TOPOLOGY" && len(args) == 2:
		w.Bulk(s.store.Topology().Encode())
	case name == "SENTINEL" && sub == "LEADER" && len(args) == 2:
		w.BulkString(s.leaderRESP())
	case name == "SENTINEL" && sub == "BUS" && len(args) == 2:
		w.BulkString(s.BusAddr())
	case name == "SENTINEL" && sub == "PROPOSE" && (len(args) == 3 || len(args) == 4 && strings.EqualFold(string(args[3]), "WITHTOPOLOGY")):
		c, err := slots.ParseChange(args[2])
		if err != nil {
			w.Error("ERR " + err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		epoch, err := s.store.Propose(ctx, c)
		s.answer(w, err, func() {
			if len(args) == 3 {
				w.Int(int64(epoch))
				return
			}
			w.Array(2)
			w.Int(int64(epoch))
			w.Bulk(s.store.Topology().Encode()) // (applied: at epoch or later)
		})
	case name == "SENTINEL" && sub == "LEASE" && len(args) == 3:
		d, voters, err := s.grantLease(string(args[2]))
		if err != nil {
			w.Error("NOLEASE " + err.Error())
			return
		}
		w.Array(4)
		w.Int(d.Milliseconds())
		w.Int(int64(len(voters)))
		w.BulkString(s.cfg.ID)
		w.Array(len(voters))
		for _, v := range voters {
			w.BulkString(v)
		}
	case name == "SENTINEL" && sub == "FENCE" && len(args) == 3:
		left, ok := s.fenceLocal(string(args[2]))
		if !ok {
			w.Error("ERR this sentinel is not a voting member of the group")
			return
		}
		w.Int(left.Milliseconds())
	case name == "SENTINEL" && sub == "PROMOTE" && (len(args) == 3 || len(args) == 4):
		force := false
		if len(args) == 4 {
			switch strings.ToUpper(string(args[3])) {
			case "FORCE", "TAKEOVER":
				force = true
			default:
				w.Error("ERR syntax error")
				return
			}
		}
		epoch, err := s.manual(string(args[2]), "", force)
		s.answer(w, err, func() { w.Int(int64(epoch)) })
	case name == "SENTINEL" && sub == "FAILOVER" && len(args) == 3:
		_, err := s.manual("", string(args[2]), false)
		s.answer(w, err, func() { w.Simple("OK") })
	case name == "SENTINEL" && sub == "IS-MASTER-DOWN-BY-ADDR" && len(args) == 6:
		epoch, err := strconv.ParseUint(string(args[4]), 10, 64)
		if err != nil {
			w.Error("ERR value is not an integer or out of range")
			return
		}
		runid := string(args[5])
		down := false
		if k, ok := s.keyByAddr(string(args[2]), string(args[3])); ok {
			down = s.voteDown(k, runid != "*")
		}
		w.Array(3)
		w.Int(map[bool]int64{true: 1}[down])
		if runid == "*" {
			epoch = 0
		}
		w.BulkString(runid)
		w.Int(int64(epoch))
	case name == "SENTINEL" && sub == "JOIN" && len(args) == 4:
		err := s.store.Join(string(args[2]), string(args[3]))
		if err == nil {
			s.settle(string(args[2]))
		}
		s.answer(w, err, func() { w.BulkString(s.BusAddr()) })
	case name == "SENTINEL" && sub == "FORGET" && len(args) == 3:
		err := s.store.Remove(string(args[2]))
		if err == nil {
			s.settle("")
		}
		s.answer(w, err, func() { w.Simple("OK") })
	case name == "SENTINEL" && sub == "VOTERS" && len(args) == 2:
		voters := s.store.Voters()
		w.Array(len(voters))
		for _, v := range voters {
			w.BulkString(v)
		}
	default:
		if s.redisCommand(w, args) {
			return
		}
		w.Error(fmt.Sprintf("ERR unknown command '%s'", strings.ToLower(strings.Join(strings.Fields(string(args[0])+" "+sub), " "))))
	}
}

// settleFor bounds how long a membership change waits for the other members (settle).
const settleFor = 2 * time.Second

// settle waits, for up to settleFor, until every other voting member it can reach
// (by its gossip metadata) lists the group's voters as this leader does. A change
// commits once a majority of the new group has it; a member that has not received
// it yet refuses the votes of a member it does not know (hashicorp/raft's rule), so
// a partition just then could leave the new majority unable to elect a leader until
// it heals. A member joining is not waited for here (it may not be on the gossip
// yet): it waits for itself (AwaitVoter).
func (s *Sentinel) settle(joining string) {
	deadline := time.Now().Add(settleFor)
	want := slices.Sorted(slices.Values(s.store.Voters()))
	addrs := s.sentinelAddrs()
	for _, v := range want {
		addr, ok := addrs[v]
		if v == s.cfg.ID || v == joining || !ok {
			continue
		}
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			voters, err := sentinelapi.Do(s.apiCtx(ctx), addr, "VOTERS").StringSlice()
			cancel()
			if err == nil && slices.Equal(slices.Sorted(slices.Values(voters)), want) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// AwaitVoter waits until this sentinel's own Raft configuration lists it as a voter,
// or ctx ends: after SENTINEL JOIN answered, it holds the group's configuration then
// (a new member that has only an older snapshot's would refuse the votes of members
// it does not know; see settle).
func (s *Sentinel) AwaitVoter(ctx context.Context) error {
	for !slices.Contains(s.store.Voters(), s.cfg.ID) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("this sentinel is not a voter of the group yet: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// leaderRESP is the RESP address of the leader, from the sentinels' gossip metadata;
// "" when unknown.
func (s *Sentinel) leaderRESP() string {
	raftAddr := s.store.LeaderAddr()
	for _, m := range s.gossip.Members() {
		if resp, raft, ok := gossip.ParseSentinelMeta(m.Meta); ok && raft == raftAddr {
			return resp
		}
	}
	return ""
}

func (s *Sentinel) answer(w *resp.Writer, err error, ok func()) {
	var re replyError
	switch {
	case errors.Is(err, ErrNotLeader):
		w.Error("NOTLEADER " + s.leaderRESP())
	case errors.As(err, &re):
		w.Error(string(re))
	case err != nil:
		w.Error("ERR " + err.Error())
	default:
		ok()
	}
}
