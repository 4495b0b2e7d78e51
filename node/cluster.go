package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

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
	myID    string
	top     atomic.Pointer[slots.Topology] // nil until the first topology arrives
	gossip  atomic.Pointer[gossip.Gossip]  // the node's gossip member, set by Start
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
	g, err := gossip.Start(gossip.Config{
		Name:      s.cluster.myID,
		Bind:      net.JoinHostPort(host, strconv.Itoa(port)),
		Advertise: adv,
		Secret:    cfg.ClusterSecret,
		Meta:      func() []byte { return []byte("node") },
		OnTopology: func(top *slots.Topology) {
			if s.SetTopology(top) {
				s.log.Noticef("Cluster topology at epoch %d adopted", top.Epoch())
			}
		},
	}, nil)
	if err != nil {
		return fmt.Errorf("Could not start the cluster bus on %s:%d: %v", host, port, err)
	}
	s.cluster.gossip.Store(g)
	return nil
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
	c.OK()
}

// initCluster loads or creates the node's ID in cluster-config-file (relative to dir),
// in Redis's nodes.conf form (the node's own line and the vars line).
func (s *Server) initCluster(cfg *conf.Config) error {
	cs := &s.cluster
	cs.enabled = cfg.ClusterEnabled
	if !cs.enabled {
		return nil
	}
	path := cfg.ClusterConfigFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && strings.Contains(f[2], "myself") && len(f[0]) == 40 {
				cs.myID = f[0]
			}
		}
		if cs.myID == "" {
			return fmt.Errorf("Unrecoverable error: corrupted cluster config file \"%s\".", path)
		}
		return nil
	}
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	cs.myID = hex.EncodeToString(id[:])
	line := fmt.Sprintf("%s :0@0,, myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n", cs.myID)
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		return fmt.Errorf("Could not create the cluster config file %s: %v", path, err)
	}
	return nil
}

// ClusterID is the node's cluster ID ("" when cluster mode is off).
func (s *Server) ClusterID() string { return s.cluster.myID }

// SetTopology makes top the topology the node follows, if its epoch is higher than
// the current one's; it reports whether it did.
func (s *Server) SetTopology(top *slots.Topology) bool {
	for {
		cur := s.cluster.top.Load()
		if cur != nil && top.Epoch() <= cur.Epoch() {
			return false
		}
		if s.cluster.top.CompareAndSwap(cur, top) {
			s.roleMu.Lock()
			if latest := s.cluster.top.Load(); latest == top {
				s.reconcileRole(top)
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
	if c.obeys() {
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
		Exists: func(key []byte) bool {
			sl := slots.KeySlot(key)
			s.eng.LockSlot(sl)
			defer s.eng.UnlockSlot(sl)
			return s.eng.DB(0).ForWrite().Exists(sl, key)
		},
	}
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
		idx, _ := cmd.Keys(c.args, c.keyIdx[:0])
		for _, i := range idx {
			if q.Migrate && len(c.args[i]) == 0 {
				continue // MIGRATE's "" before KEYS is no key (Redis's migrateGetKeys)
			}
			q.Keys = append(q.Keys, c.args[i])
		}
	}
	if len(q.Keys) == 0 {
		return true
	}
	var d slots.Decision
	if top == nil {
		d = slots.Decision{Outcome: slots.Unbound, Slot: slots.KeySlot(q.Keys[0])}
	} else {
		st := slots.State{Self: s.cluster.myID, AllowReadsWhenDown: cfg.ClusterAllowReadsWhenDown,
			AllowPubSubShardWhenDown: cfg.ClusterAllowPubSubShardWhenDown,
			Down:                     cfg.ClusterRequireFullCoverage && !top.Covered()}
		d = top.Route(st, q)
	}
	if d.Outcome == slots.Serve {
		return true
	}
	ep := slots.EndpointIP
	switch cfg.ClusterPreferredEndpoint {
	case "hostname":
		ep = slots.EndpointHostname
	case "unknown-endpoint":
		ep = slots.EndpointUnknown
	}
	if cmd.Name == "exec" {
		c.discardMulti()
	}
	c.reject(d.Error(ep, false))
	return false
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
		{name: "cluster|set-config-epoch", fn: cmdClusterSetConfigEpoch, lock: lockNone},
		{name: "cluster|setslot", fn: cmdClusterSetslot, lock: lockNone},
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
	c.w.BulkString(c.s.cluster.myID)
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
	var keys [][]byte
	c.s.eng.LockSlot(sl)
	now := c.s.eng.Now()
	cur := storage.Cursor(sl)
	for int64(len(keys)) < n {
		next, _ := c.s.eng.DB(0).ScanSlotN(cur, int(n)-len(keys), now, func(key []byte, _ storage.Type) {
			if int64(len(keys)) < n {
				keys = append(keys, append([]byte(nil), key...))
			}
		})
		if next == 0 || next.Slot() != sl {
			break
		}
		cur = next
	}
	c.s.eng.UnlockSlot(sl)
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

// clusterView is the topology as this node answers CLUSTER INFO/SLOTS/SHARDS/NODES
// about it: an empty one before the first topology arrives.
func (s *Server) clusterView() *slots.Topology {
	if top := s.cluster.top.Load(); top != nil {
		return top
	}
	empty, _ := slots.New(0, nil, nil, nil)
	return empty
}

// endpoint is how replies name a node (cluster-preferred-endpoint-type).
func (s *Server) endpoint(n slots.Node) string {
	switch s.config().ClusterPreferredEndpoint {
	case "hostname":
		if n.Hostname != "" {
			return n.Hostname
		}
		return "?"
	case "unknown-endpoint":
		return "?"
	}
	return n.IP
}

// cmdClusterInfo is CLUSTER INFO, with Redis 7.0's fields.
func cmdClusterInfo(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.clusterView()
	assigned, ok, size := 0, 0, 0
	for _, sh := range top.Shards() {
		n := sh.Slots.Len()
		assigned += n
		if sh.Primary != "" {
			ok += n
			if n > 0 {
				size++
			}
		}
	}
	state := "ok"
	if cfg := s.config(); ok < slots.Count && cfg.ClusterRequireFullCoverage || ok == 0 {
		state = "fail"
	}
	var b strings.Builder
	for _, kv := range [][2]string{
		{"cluster_state", state},
		{"cluster_slots_assigned", strconv.Itoa(assigned)},
		{"cluster_slots_ok", strconv.Itoa(ok)},
		{"cluster_slots_pfail", "0"},
		{"cluster_slots_fail", strconv.Itoa(assigned - ok)},
		{"cluster_known_nodes", strconv.Itoa(max(len(top.Nodes()), 1))},
		{"cluster_size", strconv.Itoa(size)},
		{"cluster_current_epoch", strconv.FormatUint(top.Epoch(), 10)},
		{"cluster_my_epoch", strconv.FormatUint(top.Epoch(), 10)},
		{"cluster_stats_messages_sent", "0"},
		{"cluster_stats_messages_received", "0"},
		{"total_cluster_links_buffer_limit_exceeded", "0"},
	} {
		b.WriteString(kv[0] + ":" + kv[1] + "\r\n")
	}
	c.w.Verbatim("txt", b.String())
}

// writeNodeEntry writes a node as CLUSTER SLOTS lists it: endpoint, port, ID, and the
// networking metadata that is not the endpoint.
func (c *Client) writeNodeEntry(n slots.Node) {
	pref := c.s.config().ClusterPreferredEndpoint
	c.w.Array(4)
	c.w.BulkString(c.s.endpoint(n))
	c.w.Int(int64(n.Port))
	c.w.BulkString(n.ID)
	var meta [][2]string
	if pref != "ip" {
		meta = append(meta, [2]string{"ip", n.IP})
	}
	if pref != "hostname" && n.Hostname != "" {
		meta = append(meta, [2]string{"hostname", n.Hostname})
	}
	c.w.Map(len(meta))
	for _, kv := range meta {
		c.w.BulkString(kv[0])
		c.w.BulkString(kv[1])
	}
}

// cmdClusterSlots is CLUSTER SLOTS: each range of slots with its primary and replicas.
func cmdClusterSlots(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.clusterView()
	type entry struct {
		r  slots.Range
		sh slots.Shard
	}
	var entries []entry
	for _, sh := range top.Shards() {
		if sh.Primary == "" {
			continue
		}
		for _, r := range sh.Slots {
			entries = append(entries, entry{r, sh})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.r.Start - b.r.Start })
	c.w.Array(len(entries))
	for _, e := range entries {
		c.w.Array(3 + len(e.sh.Replicas))
		c.w.Int(int64(e.r.Start))
		c.w.Int(int64(e.r.End))
		p, _ := top.Node(e.sh.Primary)
		c.writeNodeEntry(p)
		for _, id := range e.sh.Replicas {
			n, _ := top.Node(id)
			c.writeNodeEntry(n)
		}
	}
}

// cmdClusterShards is CLUSTER SHARDS: each shard's slots and nodes.
func cmdClusterShards(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.clusterView()
	shards := top.Shards()
	c.w.Array(len(shards))
	for _, sh := range shards {
		c.w.Map(2)
		c.w.BulkString("slots")
		c.w.Array(2 * len(sh.Slots))
		for _, r := range sh.Slots {
			c.w.Int(int64(r.Start))
			c.w.Int(int64(r.End))
		}
		c.w.BulkString("nodes")
		members := sh.Replicas
		if sh.Primary != "" {
			members = append([]string{sh.Primary}, members...)
		}
		c.w.Array(len(members))
		for _, id := range members {
			n, _ := top.Node(id)
			role := "replica"
			if id == sh.Primary {
				role = "master"
			}
			fields := [][2]any{{"id", n.ID}, {"port", int64(n.Port)}}
			if n.TLSPort != 0 {
				fields = append(fields, [2]any{"tls-port", int64(n.TLSPort)})
			}
			fields = append(fields, [2]any{"ip", n.IP}, [2]any{"endpoint", s.endpoint(n)})
			if n.Hostname != "" {
				fields = append(fields, [2]any{"hostname", n.Hostname})
			}
			fields = append(fields, [2]any{"role", role}, [2]any{"replication-offset", int64(0)}, [2]any{"health", "online"})
			c.w.Map(len(fields))
			for _, f := range fields {
				c.w.BulkString(f[0].(string))
				switch v := f[1].(type) {
				case string:
					c.w.BulkString(v)
				case int64:
					c.w.Int(v)
				}
			}
		}
	}
}

// cmdClusterNodes is CLUSTER NODES, one line per node in Redis's format:
// id ip:port@cport[,hostname] flags primary ping-sent pong-recv config-epoch link slots….
func cmdClusterNodes(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.clusterView()
	var b strings.Builder
	nodes := top.Nodes()
	if _, ok := top.Node(s.cluster.myID); !ok {
		nodes = append([]slots.Node{s.selfNode()}, nodes...) // not laid out yet
	}
	for _, n := range nodes {
		flags, primary := "master", "-"
		sh, inShard := top.ShardOf(n.ID)
		if inShard && sh.Primary != n.ID {
			flags = "slave"
			if sh.Primary != "" {
				primary = sh.Primary
			}
		}
		if n.ID == s.cluster.myID {
			flags = "myself," + flags
		}
		addr := n.IP + ":" + strconv.Itoa(n.Port) + "@" + strconv.Itoa(n.BusPort)
		if n.Hostname != "" {
			addr += "," + n.Hostname
		}
		pong := int64(0) // the last pong: now for the others (the topology says they are up)
		if n.ID != s.cluster.myID {
			pong = time.Now().UnixMilli()
		}
		fmt.Fprintf(&b, "%s %s %s %s 0 %d %d connected", n.ID, addr, flags, primary, pong, top.Epoch())
		if inShard && sh.Primary == n.ID {
			for _, r := range sh.Slots {
				b.WriteString(" " + r.String())
			}
			for _, m := range top.Migrations() {
				if m.Source == n.ID && n.ID == s.cluster.myID {
					fmt.Fprintf(&b, " [%d->-%s]", m.Slot, m.Target)
				}
			}
		}
		for _, m := range top.Migrations() {
			if m.Target == n.ID && n.ID == s.cluster.myID {
				fmt.Fprintf(&b, " [%d-<-%s]", m.Slot, m.Source)
			}
		}
		b.WriteString("\n")
	}
	c.w.Verbatim("txt", b.String())
}

// Changes of the layout through the sentinel group: CLUSTER ADDSLOTS and friends do
// not change anything here; they propose the change to the sentinels (any one known
// by gossip, following NOTLEADER to the leader) and answer once it is committed and
// this node follows the new epoch.

// sentinels returns the RESP addresses of the sentinels the node's gossip knows.
func (s *Server) sentinels() []string {
	g := s.cluster.gossip.Load()
	if g == nil {
		return nil
	}
	var out []string
	for _, m := range g.Members() {
		if f := strings.Fields(string(m.Meta)); len(f) == 3 && f[0] == "sentinel" {
			out = append(out, f[1])
		}
	}
	return out
}

// propose commits ch through the sentinel group and waits until the node follows the
// resulting epoch.
func (s *Server) propose(ch slots.Change) error {
	addrs := s.sentinels()
	if len(addrs) == 0 {
		return errors.New("ERR no sentinel known to this node: CLUSTER MEET a sentinel first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	addr := addrs[0]
	for try := 0; ; try++ {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		epoch, err := c.Do(ctx, "SENTINEL", "PROPOSE", string(ch.JSON())).Int64()
		c.Close()
		if err == nil {
			for {
				if top := s.cluster.top.Load(); top != nil && top.Epoch() >= uint64(epoch) {
					return nil
				}
				select {
				case <-ctx.Done():
					return errors.New("ERR the change was committed but has not reached this node yet")
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
		msg := err.Error()
		if leader, ok := strings.CutPrefix(msg, "NOTLEADER "); ok && ctx.Err() == nil {
			if leader != "" {
				addr = leader
			} else {
				addr = addrs[try%len(addrs)]
				time.Sleep(50 * time.Millisecond)
			}
			continue
		}
		if !strings.HasPrefix(msg, "ERR ") {
			msg = "ERR " + msg
		}
		return errors.New(msg)
	}
}

// syncTopology brings the node up to the topology a sentinel holds now, for commands
// that decide on the current layout (the gossip may be a few milliseconds behind a
// change another node just made).
func (s *Server) syncTopology() {
	for _, addr := range s.sentinels() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		b, err := c.Do(ctx, "SENTINEL", "TOPOLOGY").Text()
		c.Close()
		cancel()
		if err != nil {
			continue
		}
		if top, err := slots.Decode([]byte(b)); err == nil {
			s.SetTopology(top)
			return
		}
	}
}

// selfNode is this node as the topology should list it.
func (s *Server) selfNode() slots.Node {
	cfg := s.config()
	n := slots.Node{ID: s.cluster.myID, Port: s.listeningPort(), Hostname: cfg.ClusterAnnounceHostname}
	if g := s.cluster.gossip.Load(); g != nil {
		host, port, _ := net.SplitHostPort(g.Addr())
		n.IP = host
		n.BusPort, _ = strconv.Atoi(port)
	}
	if cfg.ClusterAnnounceIP != "" {
		n.IP = cfg.ClusterAnnounceIP
	}
	if cfg.ClusterAnnouncePort != 0 {
		n.Port = cfg.ClusterAnnouncePort
	}
	return n
}

// ensureShard makes sure the topology lists this node, as the primary of a shard of
// its own when it is in none; it returns the node's shard.
func (s *Server) ensureShard() (slots.Shard, error) {
	top := s.clusterView()
	if _, ok := top.Node(s.cluster.myID); !ok {
		if err := s.propose(slots.Change{Op: slots.OpAddNode, Node: s.selfNode()}); err != nil {
			return slots.Shard{}, err
		}
		top = s.clusterView()
	}
	if sh, ok := top.ShardOf(s.cluster.myID); ok {
		return sh, nil
	}
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		return slots.Shard{}, err
	}
	if err := s.propose(slots.Change{Op: slots.OpAddShard, Shard: hex.EncodeToString(id[:]), Primary: s.cluster.myID}); err != nil {
		return slots.Shard{}, err
	}
	sh, _ := s.clusterView().ShardOf(s.cluster.myID)
	return sh, nil
}

// slotArgs reads the slots of CLUSTER ADDSLOTS/DELSLOTS (one per argument) or of the
// -RANGE forms (start end pairs) from argument 2 on.
func (c *Client) slotArgs(ranges bool) (slots.Ranges, bool) {
	var set slots.Set
	args := c.args[2:]
	if ranges && len(args)%2 != 0 {
		c.Err(wrongArgs(c.cmd.FullName))
		return nil, false
	}
	step := 1
	if ranges {
		step = 2
	}
	for i := 0; i < len(args); i += step {
		start, ok := c.slotArg(2 + i)
		if !ok {
			return nil, false
		}
		end := start
		if ranges {
			if end, ok = c.slotArg(3 + i); !ok {
				return nil, false
			}
			if start > end {
				c.Err(fmt.Sprintf("ERR start slot number %d is greater than end slot number %d", start, end))
				return nil, false
			}
		}
		for sl := start; sl <= end; sl++ {
			if set.Has(sl) {
				c.Err(fmt.Sprintf("ERR Slot %d specified multiple times", sl))
				return nil, false
			}
			set.Add(sl)
		}
	}
	return set.Ranges(), true
}

// clusterSlots is CLUSTER ADDSLOTS/ADDSLOTSRANGE (add) and DELSLOTS/DELSLOTSRANGE.
func clusterSlots(c *Client, add, ranges bool) {
	if !c.clusterOn() {
		return
	}
	rs, ok := c.slotArgs(ranges)
	if !ok {
		return
	}
	s := c.s
	top := s.clusterView()
	for _, r := range rs {
		for sl := r.Start; sl <= r.End; sl++ {
			owner, owned := top.Owner(sl)
			switch {
			case add && owned:
				c.Err(fmt.Sprintf("ERR Slot %d is already busy", sl))
				return
			case !add && !owned:
				c.Err(fmt.Sprintf("ERR Slot %d is already unassigned", sl))
				return
			case !add && owner.Primary != s.cluster.myID:
				c.Err(fmt.Sprintf("ERR Slot %d is not served by this node", sl))
				return
			}
		}
	}
	sh, err := s.ensureShard()
	if err == nil {
		op := slots.OpAssignSlots
		if !add {
			op = slots.OpDropSlots
		}
		err = s.propose(slots.Change{Op: op, Shard: sh.ID, Slots: rs.String()})
	}
	if err != nil {
		c.Err(err.Error())
		return
	}
	c.OK()
}

func cmdClusterAddslots(c *Client)      { clusterSlots(c, true, false) }
func cmdClusterAddslotsrange(c *Client) { clusterSlots(c, true, true) }
func cmdClusterDelslots(c *Client)      { clusterSlots(c, false, false) }
func cmdClusterDelslotsrange(c *Client) { clusterSlots(c, false, true) }

// cmdClusterReplicate is CLUSTER REPLICATE node-id: this node becomes a replica of
// that primary's shard (and, once the topology says so, replicates from it).
func cmdClusterReplicate(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	id := string(c.args[2])
	top := s.clusterView()
	if _, ok := top.Node(id); !ok {
		c.Err("ERR Unknown node " + id)
		return
	}
	if id == s.cluster.myID {
		c.Err("ERR Can't replicate myself")
		return
	}
	target, ok := top.ShardOf(id)
	if !ok || target.Primary != id {
		c.Err("ERR I can only replicate a master, not a replica.")
		return
	}
	if mine, ok := top.ShardOf(s.cluster.myID); ok {
		if mine.ID == target.ID {
			c.OK()
			return
		}
		c.Err("ERR To set a master the node must be empty and without assigned slots.")
		return
	}
	if _, ok := top.Node(s.cluster.myID); !ok {
		if err := s.propose(slots.Change{Op: slots.OpAddNode, Node: s.selfNode()}); err != nil {
			c.Err(err.Error())
			return
		}
	}
	if err := s.propose(slots.Change{Op: slots.OpAddReplica, Shard: target.ID, NodeID: s.cluster.myID}); err != nil {
		c.Err(err.Error())
		return
	}
	c.OK()
}

// cmdClusterSetConfigEpoch is CLUSTER SET-CONFIG-EPOCH: epochs are the sentinel
// group's to assign, so it only checks its argument (redis-cli --cluster create sends
// it to every node).
func cmdClusterSetConfigEpoch(c *Client) {
	if !c.clusterOn() {
		return
	}
	if n, err := strconv.ParseInt(string(c.args[2]), 10, 64); err != nil || n < 0 {
		c.Err("ERR Invalid config epoch specified: " + string(c.args[2]))
		return
	}
	c.OK()
}

// reconcileRole makes the node's replication follow the topology: a replica of a
// shard replicates from its primary, a primary replicates from nobody.
func (s *Server) reconcileRole(top *slots.Topology) {
	sh, ok := top.ShardOf(s.cluster.myID)
	if !ok {
		return
	}
	if sh.Primary == s.cluster.myID {
		if s.up.following.Load() {
			s.unfollow()
			s.log.Noticef("Cluster topology at epoch %d: this node is its shard's primary", top.Epoch())
		}
		return
	}
	p, ok := top.Node(sh.Primary)
	if !ok {
		return
	}
	u := &s.up
	u.mu.Lock()
	same := u.following.Load() && u.host == p.IP && u.port == p.Port
	u.mu.Unlock()
	if !same {
		s.follow(p.IP, p.Port)
		s.log.Noticef("Cluster topology at epoch %d: replicating from %s:%d", top.Epoch(), p.IP, p.Port)
	}
}

// cmdClusterSetslot is CLUSTER SETSLOT slot IMPORTING source-id | MIGRATING target-id
// | STABLE | NODE node-id. A migration is one record in the topology (the slot, its
// owner's primary, the target): IMPORTING on the target and MIGRATING on the source
// both propose it, and the second finds it there already. NODE hands the slot to the
// node's shard (the migration ends with it); the source refuses while it still holds
// keys of the slot, as Redis does.
func cmdClusterSetslot(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	sl, ok := c.slotArg(2)
	if !ok {
		return
	}
	s.syncTopology()
	top := s.clusterView()
	owner, owned := top.Owner(sl)
	mig, migrating := top.Migration(sl)
	me := s.cluster.myID
	nodeArg := func() (string, bool) {
		if len(c.args) != 5 {
			c.Err(errSyntax)
			return "", false
		}
		id := string(c.args[4])
		if _, ok := top.Node(id); !ok {
			c.Err("ERR I don't know about node " + id)
			return "", false
		}
		return id, true
	}
	var ch slots.Change
	switch {
	case c.is(3, "IMPORTING"):
		src, ok := nodeArg()
		if !ok {
			return
		}
		if owned && owner.Primary == me {
			c.Err(fmt.Sprintf("ERR I'm already the owner of hash slot %d", sl))
			return
		}
		if !owned || owner.Primary != src {
			c.Err(fmt.Sprintf("ERR Slot %d is not served by %s", sl, src))
			return
		}
		if migrating && mig.Target == me {
			c.OK()
			return
		}
		ch = slots.Change{Op: slots.OpSetMigration, Slots: strconv.Itoa(sl), NodeID: me}
	case c.is(3, "MIGRATING"):
		dst, ok := nodeArg()
		if !ok {
			return
		}
		if !owned || owner.Primary != me {
			c.Err(fmt.Sprintf("ERR I'm not the owner of hash slot %d", sl))
			return
		}
		if migrating && mig.Target == dst {
			c.OK()
			return
		}
		ch = slots.Change{Op: slots.OpSetMigration, Slots: strconv.Itoa(sl), NodeID: dst}
	case c.is(3, "STABLE") && len(c.args) == 4:
		if !migrating {
			c.OK()
			return
		}
		ch = slots.Change{Op: slots.OpClearMigration, Slots: strconv.Itoa(sl)}
	case c.is(3, "NODE"):
		id, ok := nodeArg()
		if !ok {
			return
		}
		to, ok := top.ShardOf(id)
		if !ok || to.Primary != id {
			c.Err("ERR Please use SETSLOT only with masters.")
			return
		}
		if owned && owner.ID == to.ID {
			if migrating {
				ch = slots.Change{Op: slots.OpClearMigration, Slots: strconv.Itoa(sl)}
				break
			}
			c.OK()
			return
		}
		if owned && owner.Primary == me {
			s.eng.LockSlot(sl)
			n := s.eng.DB(0).SlotSize(sl)
			s.eng.UnlockSlot(sl)
			if n != 0 {
				c.Err(fmt.Sprintf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", sl))
				return
			}
		}
		if owned {
			ch = slots.Change{Op: slots.OpMoveSlots, Shard: owner.ID, To: to.ID, Slots: strconv.Itoa(sl)}
		} else {
			ch = slots.Change{Op: slots.OpAssignSlots, Shard: to.ID, Slots: strconv.Itoa(sl)}
		}
	default:
		c.Err("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
		return
	}
	if err := s.propose(ch); err != nil {
		c.Err(err.Error())
		return
	}
	c.OK()
}
