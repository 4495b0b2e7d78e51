package node

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// Cluster mode (cluster-enabled yes): the node has a persistent ID and follows the
// topology the sentinel group commits (SetTopology, fed by gossip). Every command with
// keys is checked against it before it runs — slots.Route, Redis's getNodeByQuery —
// and answered MOVED, ASK, TRYAGAIN, CROSSSLOT or CLUSTERDOWN with Redis's text when
// it does not run here. Only database 0 exists.

// clusterState is the node's cluster identity and the topology it follows.
type clusterState struct {
	enabled bool
	id      atomic.Pointer[string]         // the node's ID (myID); CLUSTER RESET HARD replaces it
	top     atomic.Pointer[slots.Topology] // nil until the first topology arrives
	// saved is the topology cluster-config-file held at start (nil if none): shown
	// by CLUSTER SLOTS/SHARDS/NODES and used for redirects until the first topology
	// arrives, never acted on (see provisional), and the oldest epoch the node
	// adopts. Set before the server starts; CLUSTER RESET clears it.
	saved   atomic.Pointer[slots.Topology]
	refused atomic.Bool                   // a topology older than saved was refused (logged once)
	gossip  atomic.Pointer[gossip.Gossip] // the node's gossip member, set by Start, replaced by CLUSTER RESET
	// gossipAdv is the member's announced address, "" for its own (set by Start).
	gossipAdv string
	exists    func(key []byte) bool // whether a key is in database 0 (slots.Query.Exists)

	confPath string        // cluster-config-file
	save     chan struct{} // wakes the cluster-config-file saver (cap 1)
	saveMu   sync.Mutex    // one write of cluster-config-file at a time
	peers    []string      // bus addresses of the other nodes it lists (rejoined at start)

	keysFrom atomic.Uint64 // the storage.Cursor where CLUSTER GETKEYSINSLOT goes on in its slot

	refreshMu   sync.Mutex // one catch-up read of the sentinels' topology at a time
	lastRefresh time.Time  // when the last one started (guarded by refreshMu)
}

// startGossip makes the node a gossip member on cluster-port (port+10000 by default;
// any free port when the node itself took one), announcing cluster-announce-ip and
// -bus-port when set. Topologies it hears of are adopted through SetTopology.
func (s *Server) startGossip(cfg *conf.Config) error {
	host := "127.0.0.1"
	for _, b := range cfg.Bind {
		b = strings.TrimPrefix(b, "-")
		if b == "*" {
			b = "0.0.0.0"
		}
		if b != "::*" {
			host = b
			break
		}
	}
	port := cfg.ClusterPort
	if port == 0 && cfg.Port != 0 {
		port = cfg.Port + 10000
	}
	adv := ""
	if cfg.ClusterAnnounceIP != "" || cfg.ClusterAnnounceBusPort != 0 {
		ip, p := cfg.ClusterAnnounceIP, cfg.ClusterAnnounceBusPort
		if ip == "" {
			ip = host
		}
		if p == 0 {
			p = port
		}
		adv = net.JoinHostPort(ip, strconv.Itoa(p))
	}
	g, err := s.newGossip(cfg, net.JoinHostPort(host, strconv.Itoa(port)), adv)
	if err != nil {
		return fmt.Errorf("Could not start the cluster bus on %s:%d: %v", host, port, err)
	}
	s.cluster.gossip.Store(g)
	s.cluster.gossipAdv = adv
	s.goTracked(s.saveNodesConfs)
	s.goTracked(s.announce)
	s.goTracked(s.keepLease)
	peers := slices.Concat(s.cluster.peers, strings.FieldsFunc(cfg.ClusterJoin, func(r rune) bool { return r == ',' || r == ' ' }))
	if len(peers) > 0 {
		s.goTracked(func() { s.rejoin(g, peers) })
	}
	return nil
}

// newGossip starts the node's gossip member on bind, announcing adv when set. The
// topologies it hears of are adopted while it is the node's member (cluster.gossip:
// the caller stores it there before it joins anyone), not once CLUSTER RESET replaced it.
func (s *Server) newGossip(cfg *conf.Config, bind, adv string) (*gossip.Gossip, error) {
	var self atomic.Pointer[gossip.Gossip]
	g, err := gossip.Start(gossip.Config{
		Name:      s.cluster.myID(),
		Bind:      bind,
		Advertise: adv,
		Secret:    cfg.ClusterSecret,
		Meta:      func() []byte { return s.nodeMeta().Encode() },
		Faults:    s.opt.Faults,
		OnMessage: s.receiveBus,
		OnTopology: func(top *slots.Topology) {
			if s.cluster.gossip.Load() == self.Load() && s.SetTopology(top) {
				s.log.Noticef("Cluster topology at epoch %d adopted", top.Epoch())
			}
		},
	}, nil)
	self.Store(g)
	return g, err
}

// nodeMeta is what the node announces about itself on the gossip.
func (s *Server) nodeMeta() gossip.NodeMeta {
	m := gossip.NodeMeta{ID: s.cluster.myID(), Role: "master", Offset: s.replOffset()}
	if s.up.following.Load() {
		m.Role = "slave"
	}
	n := s.selfNode()
	m.Addr = net.JoinHostPort(n.IP, strconv.Itoa(n.Port))
	if top := s.cluster.top.Load(); top != nil {
		if sh, ok := top.ShardOf(m.ID); ok {
			m.Shard = sh.ID
		}
	}
	return m
}

// announce re-announces the node's metadata every second while it changes (role,
// shard, replication offset), and has the topology follow this node's address when
// it differs from what the topology lists, until the server stops.
func (s *Server) announce() {
	last := s.nodeMeta()
	var retry time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
		if m := s.nodeMeta(); m != last {
			last = m
			s.cluster.gossip.Load().Update()
		}
		// A node restarted on another address (a container or pod given a new IP)
		// has the topology say where it is now.
		if n, ok := s.clusterView().Node(s.cluster.myID()); ok && time.Now().After(retry) {
			if self := s.selfNode(); n.IP != self.IP || n.Port != self.Port || n.BusPort != self.BusPort || n.Hostname != self.Hostname {
				if err := s.propose(slots.Change{Op: slots.OpSetNodeAddr, Node: self}); err != nil {
					s.log.Warningf("Could not announce this node's new address %s:%d to the sentinels: %v", self.IP, self.Port, err)
					retry = time.Now().Add(5 * time.Second)
				} else {
					s.log.Noticef("This node's address is now %s:%d (bus port %d)", self.IP, self.Port, self.BusPort)
				}
			}
		}
	}
}

// BusAddr is the node's cluster bus (gossip) address, "" when cluster mode is off.
func (s *Server) BusAddr() string {
	if g := s.cluster.gossip.Load(); g != nil {
		return g.Addr()
	}
	return ""
}

// cmdClusterMeet is CLUSTER MEET ip port [cluster-bus-port]: join the gossip of the
// member at that address (its bus port, port+10000 by default).
func cmdClusterMeet(c *Client) {
	if !c.clusterOn() {
		return
	}
	ip := string(c.args[2])
	port, err := strconv.Atoi(string(c.args[3]))
	if err != nil || port < 0 || port > 65535 {
		c.Err("ERR Invalid base port specified: " + string(c.args[3]))
		return
	}
	bus := port + 10000
	if len(c.args) >= 5 {
		if bus, err = strconv.Atoi(string(c.args[4])); err != nil || bus < 0 || bus > 65535 {
			c.Err("ERR Invalid bus port specified: " + string(c.args[4]))
			return
		}
	}
	if net.ParseIP(ip) == nil {
		c.Err("ERR Invalid node address specified: " + ip + ":" + string(c.args[3]))
		return
	}
	g := c.s.cluster.gossip.Load()
	if g == nil {
		c.Err(errLoading)
		return
	}
	if err := g.Join(net.JoinHostPort(ip, strconv.Itoa(bus))); err != nil {
		c.Err("ERR Invalid node address specified: " + ip + ":" + string(c.args[3]))
		return
	}
	// Met a data node of a cluster that has sentinels: join its layout too, as a node
	// without slots (what a Redis node is right after MEET; redis-cli --cluster
	// add-node). Meeting a sentinel only joins the gossip.
	if s := c.s; s.isLaidOutNode(ip, bus) {
		if err := s.ensureNode(); err != nil {
			c.Err(err.Error())
			return
		}
	}
	c.OK()
}

// isLaidOutNode reports whether the member at ip and bus port is a data node of the
// layout the sentinels hold (waiting a moment for the gossip to name the sentinels
// after a MEET).
func (s *Server) isLaidOutNode(ip string, bus int) bool {
	for i := 0; len(s.sentinels()) == 0; i++ {
		if i == 200 {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.syncTopology()
	for _, n := range s.clusterView().Nodes() {
		if n.IP == ip && n.BusPort == bus && n.ID != s.cluster.myID() {
			return true
		}
	}
	return false
}

// initCluster loads or creates cluster-config-file (relative to dir), in Redis's
// nodes.conf form: the node's own line (its ID), the other nodes' lines as of the last
// topology the node followed, and the vars line; and shoal's own lines: "sentinel
// <id> <bus-addr>" for each sentinel, and "topology <wire form>", the whole topology
// the node last followed. The other nodes' and the sentinels' bus addresses are what
// it rejoins the cluster through after a restart; the topology is what it answers
// from until the sentinels' arrives (cluster.saved).
func (s *Server) initCluster(cfg *conf.Config) error {
	cs := &s.cluster
	cs.enabled = cfg.ClusterEnabled
	if !cs.enabled {
		return nil
	}
	cs.exists = func(key []byte) bool {
		sl := slots.KeySlot(key)
		s.eng.LockSlot(sl)
		defer s.eng.UnlockSlot(sl)
		return s.eng.DB(0).ForWrite().Exists(sl, key)
	}
	cs.save = make(chan struct{}, 1)
	cs.confPath = cfg.ClusterConfigFile
	if !filepath.IsAbs(cs.confPath) {
		cs.confPath = filepath.Join(cfg.Dir, cs.confPath)
	}
	if b, err := os.ReadFile(cs.confPath); err == nil {
		nc, ok := parseNodesConf(b)
		if !ok {
			return fmt.Errorf("Unrecoverable error: corrupted cluster config file \"%s\".", cs.confPath)
		}
		if nc.savedErr != nil {
			s.log.Warningf("Ignoring the topology saved in %s: %v", cs.confPath, nc.savedErr)
		}
		cs.id.Store(&nc.myID)
		cs.peers = nc.peers
		cs.saved.Store(nc.saved)
		if nc.sentinels {
			s.lease.required.Store(true)
		}
		return nil
	}
	id := newNodeID()
	cs.id.Store(&id)
	if err := os.WriteFile(cs.confPath, []byte(freshNodesConf(id)), 0o644); err != nil {
		return fmt.Errorf("Could not create the cluster config file %s: %v", cs.confPath, err)
	}
	return nil
}

// myID is the node's ID.
func (cs *clusterState) myID() string {
	if p := cs.id.Load(); p != nil {
		return *p
	}
	return ""
}

// newNodeID returns a random node ID: 40 hex characters, as Redis's.
func newNodeID() string {
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(id[:])
}

// freshNodesConf is cluster-config-file of a node that knows no cluster: its own
// line, epoch 0.
func freshNodesConf(id string) string {
	return fmt.Sprintf("%s :0@0,, myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n", id)
}

// nodesConf is what cluster-config-file says (see initCluster).
type nodesConf struct {
	myID      string
	peers     []string        // bus addresses of the other nodes and of the sentinels
	sentinels bool            // it lists a sentinel
	saved     *slots.Topology // the whole topology saved (nil: none, or savedErr)
	savedErr  error           // why the saved topology could not be read
}

// parseNodesConf reads cluster-config-file's text; false when it lacks the node's own
// line (a corrupted file). Lines it does not know are skipped, as Redis skips unknown
// fields; a saved topology that does not decode is reported, not fatal (the
// sentinels' is the truth).
func parseNodesConf(b []byte) (nodesConf, bool) {
	var nc nodesConf
	for _, line := range strings.Split(string(b), "\n") {
		if wire, ok := strings.CutPrefix(line, "topology "); ok {
			nc.saved, nc.savedErr = slots.Decode([]byte(wire))
			continue
		}
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "sentinel" {
			nc.peers = append(nc.peers, f[2])
			nc.sentinels = true
			continue
		}
		if len(f) < 3 || len(f[0]) != 40 {
			continue
		}
		if strings.Contains(f[2], "myself") {
			nc.myID = f[0]
			continue
		}
		// ip:port@cport[,hostname]
		addr, _, _ := strings.Cut(f[1], ",")
		hostPort, bus, ok := strings.Cut(addr, "@")
		if host, _, err := net.SplitHostPort(hostPort); ok && err == nil && bus != "0" {
			nc.peers = append(nc.peers, net.JoinHostPort(host, bus))
		}
	}
	return nc, nc.myID != ""
}

// saveNodesConfs writes each new topology the node follows, and the sentinels it
// knows, to cluster-config-file, as Redis saves nodes.conf on every change of the
// layout (the latest one when several came while a write was going on), until the
// server stops.
func (s *Server) saveNodesConfs() {
	saved := ""
	for {
		select {
		case <-s.stop:
			return
		case <-s.cluster.save:
		case <-time.After(time.Second): // sentinels come and go between layout changes
		}
		top := s.cluster.top.Load()
		if top == nil {
			continue
		}
		if key := fmt.Sprint(top.Epoch(), s.sentinels()); key != saved {
			if err := s.saveNodesConf(top); err != nil {
				s.log.Warningf("Could not save the cluster config file %s: %v", s.cluster.confPath, err)
			}
			saved = key
		}
	}
}

// saveNodesConf writes top to cluster-config-file (write, sync, rename), one writer
// at a time.
func (s *Server) saveNodesConf(top *slots.Topology) error {
	s.cluster.saveMu.Lock()
	defer s.cluster.saveMu.Unlock()
	text := s.nodesText(top)
	// shoal's own lines: the sentinels' gossip addresses, rejoined after a restart.
	if g := s.cluster.gossip.Load(); g != nil {
		for _, m := range g.Members() {
			if _, _, ok := gossip.ParseSentinelMeta(m.Meta); ok {
				text += "sentinel " + m.Name + " " + m.Addr + "\n"
			}
		}
	}
	text += "topology " + string(top.Encode()) + "\n" // (JSON: one line)
	text += fmt.Sprintf("vars currentEpoch %d lastVoteEpoch 0\n", top.Epoch())
	tmp := s.cluster.confPath + ".tmp"
	f, err := os.Create(tmp)
	if err == nil {
		_, err = f.WriteString(text)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, s.cluster.confPath)
	}
	return err
}

// rejoin joins the gossip through the nodes cluster-config-file lists, retrying every
// second while they are all unreachable (a whole cluster restarting), until one
// answers, someone else brought this node in, or CLUSTER RESET replaced the member.
func (s *Server) rejoin(g *gossip.Gossip, peers []string) {
	for len(g.Members()) <= 1 && s.cluster.gossip.Load() == g {
		if err := g.Join(peers...); err == nil {
			s.log.Noticef("Joined the cluster's gossip (through %s)", strings.Join(peers, ", "))
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// ClusterID is the node's cluster ID ("" when cluster mode is off).
func (s *Server) ClusterID() string { return s.cluster.myID() }

// SetTopology makes top the topology the node follows, if its epoch is higher than
// the current one's (the first one: at least the saved one's); it reports whether it
// did.
func (s *Server) SetTopology(top *slots.Topology) bool {
	for {
		cur := s.cluster.top.Load()
		if cur != nil && top.Epoch() <= cur.Epoch() {
			return false
		}
		if saved := s.cluster.saved.Load(); cur == nil && saved != nil && top.Epoch() < saved.Epoch() {
			// Never go back to a layout older than one the node followed: its slots or
			// role may have changed since (a peer that restarted too gossips its own).
			if !s.cluster.refused.Swap(true) {
				s.log.Warningf("Ignoring a cluster topology at epoch %d, older than the one saved in %s (epoch %d); waiting for the sentinels'", top.Epoch(), s.cluster.confPath, saved.Epoch())
			}
			return false
		}
		if s.cluster.top.CompareAndSwap(cur, top) {
			s.leaseSentinels() // a topology from sentinels: leases are required from now on
			s.roleMu.Lock()
			if latest := s.cluster.top.Load(); latest == top {
				s.reconcileRole(top)
				s.redirectBlocked(top)
				s.followMoves(top)
				if s.foreignPending.CompareAndSwap(false, true) { // (one look at a time)
					s.goTracked(s.dropForeignKeys)
				}
				s.kickLease()
				select { // the saver writes the latest topology to cluster-config-file
				case s.cluster.save <- struct{}{}:
				default:
				}
			}
			s.roleMu.Unlock()
			return true
		}
	}
}

const errClusterDisabled = "ERR This instance has cluster support disabled"

// clusterOn reports whether cluster mode is on, answering Redis's error when not.
func (c *Client) clusterOn() bool {
	if !c.s.cluster.enabled {
		c.Err(errClusterDisabled)
	}
	return c.s.cluster.enabled
}

// redirect checks a command against the topology before it runs (queued or not) and
// answers the redirect when it does not run here; false means the command is done.
func (s *Server) redirect(c *Client, cmd *Command) bool {
	c.routed = false
	if c.obeys() {
		return true
	}
	if c.importing != "" { // an import session writes the slots of its move while it lasts
		if !s.importing(c.importing) {
			c.reject("ERR move " + c.importing + " is over")
			return false
		}
		return true
	}
	top := s.cluster.top.Load()
	cfg := s.config()
	q := slots.Query{
		Write:       cmd.Has(spec.Write),
		Asking:      c.asking || cmd.Has(spec.Asking),
		ReadOnly:    c.readOnly,
		ShardPubSub: cmd.Name == "spublish" || cmd.Name == "ssubscribe" || cmd.Name == "sunsubscribe",
		Migrate:     cmd.Name == "migrate",
		Exists:      s.cluster.exists,
		Keys:        c.routeKeys[:0],
	}
	defer func() { c.routeKeys = q.Keys[:0] }()
	if cmd.Name == "exec" {
		if c.multi == nil {
			return true // EXEC without MULTI: its own error
		}
		for _, qc := range c.multi.cmds {
			idx, _ := qc.cmd.Keys(qc.args, nil)
			for _, i := range idx {
				q.Keys = append(q.Keys, qc.args[i])
			}
			q.TxWrite = q.TxWrite || qc.cmd.Has(spec.Write)
		}
	} else {
		// The keys' positions and slots are kept for the executor's locking (c.routed),
		// so that a command's keys are found and hashed once.
		idx, err := cmd.Keys(c.args, c.keyIdx[:0])
		c.keyIdx, c.keySlots = idx, c.keySlots[:0]
		for _, i := range idx {
			if q.Migrate && len(c.args[i]) == 0 {
				continue // MIGRATE's "" before KEYS is no key (Redis's migrateGetKeys)
			}
			q.Keys = append(q.Keys, c.args[i])
			c.keySlots = append(c.keySlots, c.keySlot(c.args[i]))
		}
		q.Slots = c.keySlots
		c.routed = err == nil && len(c.keySlots) == len(idx)
	}
	if len(q.Keys) == 0 {
		// A write without keys (FLUSHALL …) on a primary without its lease, or on a
		// restarted node that does not know yet what it is (see provisional).
		if (cmd.Has(spec.Write) || q.TxWrite) && (s.leaseLapsed() || top == nil && s.cluster.saved.Load() != nil) {
			if cmd.Name == "exec" {
				c.discardMulti()
			}
			c.reject(slots.Decision{Outcome: slots.Down}.Error(endpointType(cfg), false))
			return false
		}
		return true
	}
	var d slots.Decision
	if top == nil {
		d = s.provisional(q)
	} else {
		st := slots.State{Self: s.cluster.myID(), AllowReadsWhenDown: cfg.ClusterAllowReadsWhenDown,
			AllowPubSubShardWhenDown: cfg.ClusterAllowPubSubShardWhenDown,
			Down:                     cfg.ClusterRequireFullCoverage && !top.Covered()}
		d = top.Route(st, q)
		// A slot this node imports, asked about without ASKING: the client has seen
		// the hand-off that has not reached this node yet (sending it back would
		// bounce it between the two ends until it gives up). Catch up and decide again.
		if d.Outcome == slots.Moved && s.importsSlot(top, d.Slot) && s.refreshTopology(top.Epoch()) {
			d = s.cluster.top.Load().Route(st, q)
		}
	}
	if d.Outcome == slots.Serve && d.Slot >= 0 && s.leaseLapsed() {
		// A primary without its write lease: its slots are down (see lease.go).
		switch {
		case q.ShardPubSub && cfg.ClusterAllowPubSubShardWhenDown:
		case !cfg.ClusterAllowReadsWhenDown:
			d.Outcome = slots.Down
		case q.Write || q.TxWrite:
			d.Outcome = slots.DownReadOnly
		}
	}
	if d.Outcome == slots.Serve {
		return true
	}
	if cmd.Name == "exec" {
		c.discardMulti()
	}
	c.reject(d.Error(endpointType(cfg), false))
	return false
}

// provisional is the decision for a query before the node follows any topology: a
// redirect as the saved topology has it (clients find the owners the sentinels will
// most likely confirm), and the cluster down for what it would serve here — whether
// this node still owns the slot, and holds what was written to it, is known only once
// the sentinels' topology arrives. Without a saved topology every slot is unbound.
func (s *Server) provisional(q slots.Query) slots.Decision {
	saved := s.cluster.saved.Load()
	if saved == nil {
		return slots.Decision{Outcome: slots.Unbound, Slot: slots.KeySlot(q.Keys[0])}
	}
	q.Exists = func([]byte) bool { return false } // (no migration is followed yet)
	d := saved.Route(slots.State{Self: s.cluster.myID()}, q)
	switch d.Outcome {
	case slots.Serve, slots.Ask, slots.TryAgain:
		d.Outcome = slots.Down
	}
	return d
}

// scriptRoute is the error a script gets for a command whose keys this node does not
// serve (as Redis's scriptVerifyClusterState answers), or "". The caller's READONLY and
// ASKING count, as they do for the script's own keys.
func (s *Server) scriptRoute(caller *Client, cmd *Command, args [][]byte) string {
	top := s.cluster.top.Load()
	if top == nil {
		return ""
	}
	idx, _ := cmd.Keys(args, nil)
	if len(idx) == 0 {
		return ""
	}
	q := slots.Query{Write: cmd.Has(spec.Write), Asking: caller.asking, ReadOnly: caller.readOnly}
	for _, i := range idx {
		q.Keys = append(q.Keys, args[i])
	}
	cfg := s.config()
	st := slots.State{Self: s.cluster.myID(), AllowReadsWhenDown: cfg.ClusterAllowReadsWhenDown,
		Down: cfg.ClusterRequireFullCoverage && !top.Covered()}
	switch top.Route(st, q).Outcome {
	case slots.Serve, slots.CrossSlot: // (keys of several slots: the script's own business, as in Redis 7.0)
		return ""
	case slots.Down:
		return "ERR Script attempted to execute a command while the cluster is down"
	case slots.DownReadOnly:
		return "ERR Script attempted to execute a write command while the cluster is down and readonly"
	}
	return "ERR Script attempted to access a non local key in a cluster node"
}

// endpointType is how redirects name nodes (cluster-preferred-endpoint-type).
func endpointType(cfg *conf.Config) slots.Endpoint {
	switch cfg.ClusterPreferredEndpoint {
	case "hostname":
		return slots.EndpointHostname
	case "unknown-endpoint":
		return slots.EndpointUnknown
	}
	return slots.EndpointIP
}

// redirectBlocked wakes the clients blocked on keys of a slot this node no longer
// serves under top with the redirect (MOVED, or CLUSTERDOWN), as Redis's
// clusterRedirectBlockedClientIfNeeded does after a layout change.
func (s *Server) redirectBlocked(top *slots.Topology) {
	r := &s.blocking
	if r.count.Load() == 0 {
		return
	}
	cfg := s.config()
	st := slots.State{Self: s.cluster.myID(), Down: cfg.ClusterRequireFullCoverage && !top.Covered()}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eachWaiterLocked(func(w *waiter) {
		if len(w.keys) == 0 || w.keys[0].db != 0 {
			return
		}
		d := top.RedirectBlocked(st, slots.KeySlot([]byte(w.keys[0].key)), w.c.readOnly && !w.write)
		if d.Outcome != slots.Serve {
			r.wakeLocked(w, d.Error(endpointType(cfg), false))
		}
	})
}

// refreshTopology reads the sentinels' topology when the node still follows epoch
// seen, unless a read that started after this call was made already; it reports
// whether the node follows a later epoch afterwards. Concurrent callers share one
// read, so a burst of clients costs one round trip, not one each.
func (s *Server) refreshTopology(seen uint64) bool {
	cs := &s.cluster
	asked := time.Now()
	cs.refreshMu.Lock()
	defer cs.refreshMu.Unlock()
	if cs.top.Load().Epoch() == seen && !cs.lastRefresh.After(asked) {
		cs.lastRefresh = time.Now()
		s.syncTopology()
	}
	return cs.top.Load().Epoch() > seen
}

// cmdAsking is ASKING: the next command may run on a slot this node imports.
func cmdAsking(c *Client) {
	if !c.clusterOn() {
		return
	}
	c.asking = true
	c.OK()
}

// cmdReadonly is READONLY: reads of the slots of this replica's primary run here.
func cmdReadonly(c *Client) {
	if !c.clusterOn() {
		return
	}
	c.readOnly = true
	c.OK()
}

// cmdReadwrite is READWRITE: back to redirecting every read to the primary.
func cmdReadwrite(c *Client) {
	if !c.clusterOn() {
		return
	}
	c.readOnly = false
	c.OK()
}

// clusterDefs registers the cluster commands.
func clusterDefs() []def {
	return []def{
		{name: "asking", fn: cmdAsking, lock: lockNone},
		{name: "readonly", fn: cmdReadonly, lock: lockNone},
		{name: "readwrite", fn: cmdReadwrite, lock: lockNone},
		{name: "cluster|keyslot", fn: cmdClusterKeyslot, lock: lockNone},
		{name: "cluster|myid", fn: cmdClusterMyid, lock: lockNone},
		{name: "cluster|myshardid", fn: cmdClusterMyshardid, lock: lockNone},
		{name: "cluster|countkeysinslot", fn: cmdClusterCountkeysinslot, lock: lockNone},
		{name: "cluster|getkeysinslot", fn: cmdClusterGetkeysinslot, lock: lockNone},
		{name: "cluster|info", fn: cmdClusterInfo, lock: lockNone},
		{name: "cluster|slots", fn: cmdClusterSlots, lock: lockNone},
		{name: "cluster|shards", fn: cmdClusterShards, lock: lockNone},
		{name: "cluster|nodes", fn: cmdClusterNodes, lock: lockNone},
		{name: "cluster|meet", fn: cmdClusterMeet, lock: lockNone},
		{name: "cluster|addslots", fn: cmdClusterAddslots, lock: lockNone},
		{name: "cluster|addslotsrange", fn: cmdClusterAddslotsrange, lock: lockNone},
		{name: "cluster|delslots", fn: cmdClusterDelslots, lock: lockNone},
		{name: "cluster|delslotsrange", fn: cmdClusterDelslotsrange, lock: lockNone},
		{name: "cluster|replicate", fn: cmdClusterReplicate, lock: lockNone},
		{name: "cluster|failover", fn: cmdClusterFailover, lock: lockNone},
		{name: "cluster|set-config-epoch", fn: cmdClusterSetConfigEpoch, lock: lockNone},
		{name: "cluster|setslot", fn: cmdClusterSetslot, lock: lockNone},
		{name: "cluster|forget", fn: cmdClusterForget, lock: lockNone},
		{name: "cluster|reset", fn: cmdClusterReset, lock: lockNone},
		{name: "cluster|saveconfig", fn: cmdClusterSaveconfig, lock: lockNone},
		{name: "cluster|count-failure-reports", fn: cmdClusterCountFailureReports, lock: lockNone},
		{name: "cluster|flushslots", fn: cmdClusterFlushslots, lock: lockNone},
		{name: "cluster|replicas", fn: cmdClusterReplicas, lock: lockNone},
		{name: "cluster|slaves", fn: cmdClusterReplicas, lock: lockNone},
		{name: "cluster|links", fn: cmdClusterLinks, lock: lockNone},
		{name: "cluster|bumpepoch", fn: cmdClusterBumpepoch, lock: lockNone},
		{name: "cluster|help", fn: cmdClusterHelp, lock: lockNone},
		{name: "cluster|syncslots", fn: cmdClusterSyncslots, lock: lockNone},
		{name: "cluster|migrateslots", fn: cmdClusterMigrateslots, lock: lockNone},
		{name: "cluster|getslotmigrations", fn: cmdClusterGetslotmigrations, lock: lockNone},
		{name: "cluster|cancelslotmigrations", fn: cmdClusterCancelslotmigrations, lock: lockNone},
		{name: "cluster|slot-stats", fn: cmdClusterSlotStats, lock: lockNone},
	}
}

// cmdClusterKeyslot is CLUSTER KEYSLOT key.
func cmdClusterKeyslot(c *Client) {
	c.w.Int(int64(slots.KeySlot(c.args[2])))
}

// cmdClusterMyid is CLUSTER MYID.
func cmdClusterMyid(c *Client) {
	if !c.clusterOn() {
		return
	}
	c.w.BulkString(c.s.cluster.myID())
}

// cmdClusterMyshardid is CLUSTER MYSHARDID (Redis 7.2): the ID of the node's shard in
// the topology it follows; a node in no shard yet answers its own ID (as a new Redis
// node is a shard of its own).
func cmdClusterMyshardid(c *Client) {
	if !c.clusterOn() {
		return
	}
	if top := c.s.cluster.top.Load(); top != nil {
		if sh, ok := top.ShardOf(c.s.cluster.myID()); ok {
			c.w.BulkString(sh.ID)
			return
		}
	}
	c.w.BulkString(c.s.cluster.myID())
}

// slotArg reads a slot number argument.
func (c *Client) slotArg(i int) (int, bool) {
	n, err := strconv.ParseInt(string(c.args[i]), 10, 64)
	if err != nil || n < 0 || n >= slots.Count {
		c.Err("ERR Invalid or out of range slot")
		return 0, false
	}
	return int(n), true
}

// cmdClusterCountkeysinslot is CLUSTER COUNTKEYSINSLOT slot.
func cmdClusterCountkeysinslot(c *Client) {
	if !c.clusterOn() {
		return
	}
	sl, ok := c.slotArg(2)
	if !ok {
		return
	}
	c.s.eng.LockSlot(sl)
	n := c.s.eng.DB(0).SlotSize(sl)
	c.s.eng.UnlockSlot(sl)
	c.w.Int(int64(n))
}

// cmdClusterGetkeysinslot is CLUSTER GETKEYSINSLOT slot count.
func cmdClusterGetkeysinslot(c *Client) {
	if !c.clusterOn() {
		return
	}
	sl, ok := c.slotArg(2)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(string(c.args[3]), 10, 64)
	if err != nil || n < 0 {
		c.Err("ERR Invalid number of keys")
		return
	}
	// The walk starts where the last one in this slot stopped: redis-cli asks for a
	// few keys, MIGRATEs them away and asks again, and walking the emptied buckets
	// from the first each time cost time quadratic in the slot's keys.
	from := storage.Cursor(c.s.cluster.keysFrom.Load())
	if from.Slot() != sl {
		from = storage.Cursor(sl)
	}
	var keys [][]byte
	c.s.eng.LockSlot(sl)
	next := c.s.eng.DB(0).SlotKeysFrom(from, int(min(n, math.MaxInt32)), c.s.eng.Now(), func(key []byte) {
		keys = append(keys, append([]byte(nil), key...))
	})
	c.s.eng.UnlockSlot(sl)
	c.s.cluster.keysFrom.Store(uint64(next))
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}
