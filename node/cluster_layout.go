package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

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
		if resp, _, ok := gossip.ParseSentinelMeta(m.Meta); ok {
			out = append(out, resp)
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
	epoch, top, err := sentinelapi.ProposeWithTopology(s.sentinelCtx(ctx), addrs, ch)
	if err != nil {
		return errReply(err)
	}
	s.SetTopology(top)
	return s.awaitEpoch(ctx, epoch)
}

// errReply is a sentinel's error as the node's error reply ("ERR …" unless it has a
// prefix of its own).
func errReply(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, ' '); i <= 0 || strings.ToUpper(msg[:i]) != msg[:i] {
		msg = "ERR " + msg
	}
	return errors.New(msg)
}

// awaitEpoch waits until the node follows epoch (fetching the topology from the
// sentinels if the gossip has not brought it yet).
func (s *Server) awaitEpoch(ctx context.Context, epoch uint64) error {
	for try := 0; ; try++ {
		if top := s.cluster.top.Load(); top != nil && top.Epoch() >= epoch {
			return nil
		}
		if try == 0 { // not there by gossip yet: fetch it
			s.syncTopology()
			continue
		}
		select {
		case <-ctx.Done():
			return errors.New("ERR the change was committed but has not reached this node yet")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// syncTopology brings the node up to the topology the sentinels hold now (the latest
// any of them has), for commands that decide on the current layout (the gossip may
// be a few milliseconds behind a change another node just made).
func (s *Server) syncTopology() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if top, err := sentinelapi.Topology(s.sentinelCtx(ctx), s.sentinels()); err == nil {
		s.SetTopology(top)
	}
}

// selfNode is this node as the topology should list it.
func (s *Server) selfNode() slots.Node {
	cfg := s.config()
	n := slots.Node{ID: s.cluster.myID(), Port: s.listeningPort(), Hostname: cfg.ClusterAnnounceHostname}
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

// confirmedView is the node's topology when it passes check, or else the sentinels'
// (the node's view may lag it): a change proposed because the view lacks something
// must not be one the layout already made (a second shard for a primary, a node
// listed twice), which the sentinels would refuse.
func (s *Server) confirmedView(check func(*slots.Topology) bool) *slots.Topology {
	if top := s.clusterView(); check(top) {
		return top
	}
	s.syncTopology()
	return s.clusterView()
}

// ensureNode makes sure the topology lists this node.
func (s *Server) ensureNode() error {
	listed := func(top *slots.Topology) bool { _, ok := top.Node(s.cluster.myID()); return ok }
	if listed(s.confirmedView(listed)) {
		return nil
	}
	return s.propose(slots.Change{Op: slots.OpAddNode, Node: s.selfNode()})
}

// ensureShard makes sure the topology lists this node, as the primary of a shard of
// its own when it is in none; it returns the node's shard.
func (s *Server) ensureShard() (slots.Shard, error) {
	if err := s.ensureNode(); err != nil {
		return slots.Shard{}, err
	}
	inShard := func(top *slots.Topology) bool { _, ok := top.ShardOf(s.cluster.myID()); return ok }
	if sh, ok := s.confirmedView(inShard).ShardOf(s.cluster.myID()); ok {
		return sh, nil
	}
	if err := s.proposeShard(s.cluster.myID()); err != nil {
		return slots.Shard{}, err
	}
	sh, _ := s.clusterView().ShardOf(s.cluster.myID())
	return sh, nil
}

// proposeReply proposes ch and answers +OK once it is committed, or the error.
func (c *Client) proposeReply(ch slots.Change) {
	if err := c.s.propose(ch); err != nil {
		c.Err(err.Error())
		return
	}
	c.OK()
}

// proposeShard proposes a new shard with primary as its primary (and a fresh ID).
func (s *Server) proposeShard(primary string) error {
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	return s.propose(slots.Change{Op: slots.OpAddShard, Shard: hex.EncodeToString(id[:]), Primary: primary})
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
			case !add && owner.Primary != s.cluster.myID():
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

// cmdClusterFlushslots is CLUSTER FLUSHSLOTS: the node's shard gives up every slot
// (an empty database only, as in Redis).
func cmdClusterFlushslots(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	if s.eng.DB(0).Size() != 0 {
		c.Err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
		return
	}
	s.syncTopology()
	sh, ok := s.clusterView().ShardOf(s.cluster.myID())
	if !ok || sh.Primary != s.cluster.myID() || sh.Slots.Len() == 0 {
		c.OK()
		return
	}
	c.proposeReply(slots.Change{Op: slots.OpDropSlots, Shard: sh.ID, Slots: sh.Slots.String()})
}

func cmdClusterAddslots(c *Client)      { clusterSlots(c, true, false) }
func cmdClusterAddslotsrange(c *Client) { clusterSlots(c, true, true) }
func cmdClusterDelslots(c *Client)      { clusterSlots(c, false, false) }
func cmdClusterDelslotsrange(c *Client) { clusterSlots(c, false, true) }

// cmdClusterFailover is CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica: the sentinel
// leader promotes it (failover/manual.go) — by default gracefully (the primary's
// writes paused until this replica has all of them: nothing is lost), with FORCE or
// TAKEOVER without the primary (once its lease is fenced). It answers once the
// promotion is committed and this node follows it (Redis answers at once and fails
// over in the background).
func cmdClusterFailover(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	args := []any{"PROMOTE", s.cluster.myID()}
	switch {
	case len(c.args) == 3 && (c.is(2, "FORCE") || c.is(2, "TAKEOVER")):
		args = append(args, strings.ToUpper(string(c.args[2])))
	case len(c.args) != 2:
		c.Err(errSyntax)
		return
	}
	sh, ok := s.clusterView().ShardOf(s.cluster.myID())
	if !ok && !s.up.following.Load() || ok && sh.Primary == s.cluster.myID() {
		c.Err("ERR You should send CLUSTER FAILOVER to a replica")
		return
	}
	if !ok || sh.Primary == "" {
		c.Err("ERR I'm a replica but my master is unknown to me")
		return
	}
	addrs := s.sentinels()
	if len(addrs) == 0 {
		c.Err("ERR no sentinel known to this node: CLUSTER MEET a sentinel first")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	v, err := sentinelapi.Leader(s.sentinelCtx(ctx), addrs, args...)
	if err == nil {
		epoch, _ := v.(int64)
		err = s.awaitEpoch(ctx, uint64(epoch))
	}
	if err != nil {
		c.Err(errReply(err).Error())
		return
	}
	c.OK()
}

// cmdClusterReplicate is CLUSTER REPLICATE node-id: this node becomes a replica of
// that primary's shard (and, once the topology says so, replicates from it).
func cmdClusterReplicate(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	id := string(c.args[2])
	// The gossip may not have brought a node just added elsewhere, or its shard, yet:
	// ask the sentinels before refusing or proposing a shard for it.
	top := s.confirmedView(func(top *slots.Topology) bool { _, ok := top.ShardOf(id); return ok })
	if _, ok := top.Node(id); !ok {
		c.Err("ERR Unknown node " + id)
		return
	}
	if id == s.cluster.myID() {
		c.Err("ERR Can't replicate myself")
		return
	}
	target, ok := top.ShardOf(id)
	if !ok { // a node without a shard is an empty primary: give it its shard
		if err := s.proposeShard(id); err != nil {
			c.Err(err.Error())
			return
		}
		top = s.clusterView()
		target, _ = top.ShardOf(id)
	}
	if target.Primary != id {
		c.Err("ERR I can only replicate a master, not a replica.")
		return
	}
	if mine, ok := top.ShardOf(s.cluster.myID()); ok {
		if mine.ID == target.ID {
			c.OK()
			return
		}
		c.Err("ERR To set a master the node must be empty and without assigned slots.")
		return
	}
	if err := s.ensureNode(); err != nil {
		c.Err(err.Error())
		return
	}
	c.proposeReply(slots.Change{Op: slots.OpAddReplica, Shard: target.ID, NodeID: s.cluster.myID()})
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
	sh, ok := top.ShardOf(s.cluster.myID())
	if !ok {
		return
	}
	if sh.Primary == s.cluster.myID() {
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
	me := s.cluster.myID()
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
		if !ok { // a node without a shard yet becomes the primary of a new one
			if err := s.proposeShard(id); err != nil {
				c.Err(err.Error())
				return
			}
			top = s.clusterView()
			to, _ = top.ShardOf(id)
			owner, owned = top.Owner(sl)
		}
		if to.Primary != id {
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
	c.proposeReply(ch)
}

// cmdClusterForget is CLUSTER FORGET node-id: the node leaves the cluster's layout
// (through the sentinels; redis-cli --cluster del-node sends it to every other node,
// so a node already gone is fine).
func cmdClusterForget(c *Client) {
	if !c.clusterOn() {
		return
	}
	s := c.s
	id := string(c.args[2])
	if id == s.cluster.myID() {
		c.Err("ERR I tried hard but I can't forget myself...")
		return
	}
	s.syncTopology()
	top := s.clusterView()
	if _, ok := top.Node(id); !ok {
		// Gone already: del-node sends FORGET to every node, and the first one made
		// the whole cluster forget it.
		if _, err := hex.DecodeString(id); err == nil && len(id) == 40 {
			c.OK()
			return
		}
		c.Err("ERR Unknown node " + id)
		return
	}
	if sh, ok := top.ShardOf(s.cluster.myID()); ok && sh.Primary == id {
		c.Err("ERR Can't forget my master!")
		return
	}
	c.proposeReply(slots.Change{Op: slots.OpForgetNode, NodeID: id})
}

// cmdClusterReset is CLUSTER RESET [HARD|SOFT], for a node outside the layout (never
// added, or removed with del-node; a node of the layout is refused), to be used in
// another cluster as Redis's: it becomes an empty primary (what keys it still holds
// are of slots it no longer serves), forgets the topology it follows and the one it
// saved, leaves the cluster's gossip for a new member on the same bus port that
// knows no one, and writes cluster-config-file afresh; HARD also gives it a new ID.
// It then adopts the first topology that comes, whatever its epoch: the new
// cluster's.
func cmdClusterReset(c *Client) {
	if !c.clusterOn() {
		return
	}
	if len(c.args) == 3 && !c.is(2, "HARD") && !c.is(2, "SOFT") {
		c.Err(errSyntax)
		return
	}
	s := c.s
	s.syncTopology()
	if _, inShard := s.clusterView().ShardOf(s.cluster.myID()); inShard {
		c.Err("ERR CLUSTER RESET can't be called with master nodes containing keys")
		return
	}
	if s.up.following.Load() {
		s.unfollow()
	}
	s.emptyData(c) // (keys of slots it no longer serves, not yet dropped)
	if err := s.resetCluster(c.is(2, "HARD")); err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.OK()
}

// emptyData empties every database as FLUSHALL does, under every stripe, the flush
// propagated like FLUSHALL's.
func (s *Server) emptyData(c *Client) {
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	defer s.eng.Unlock(&all)
	for i := range s.eng.NumDBs() {
		s.dbReplaced(i, nil)
	}
	s.trackFlushed(c)
	s.eng.FlushAll()
	c.alsoPropagate(bFLUSHALL)
	s.flushProp(c)
}

// resetCluster makes the node one that knows no cluster (CLUSTER RESET), with a new
// ID when hard.
func (s *Server) resetCluster(hard bool) error {
	cs := &s.cluster
	old := cs.gossip.Load()
	if old != nil {
		old.Close() // first: no topology of the old cluster arrives after this
	}
	s.roleMu.Lock()
	cs.top.Store(nil)
	cs.saved.Store(nil)
	cs.refused.Store(false)
	s.lease.required.Store(false)
	if hard {
		id := newNodeID()
		cs.id.Store(&id)
	}
	s.roleMu.Unlock()
	cs.saveMu.Lock()
	err := os.WriteFile(cs.confPath, []byte(freshNodesConf(cs.myID())), 0o644)
	cs.saveMu.Unlock()
	if err != nil {
		return fmt.Errorf("error saving the cluster node config: %v", err)
	}
	if old == nil {
		return nil
	}
	g, err := s.newGossip(s.config(), old.Addr(), cs.gossipAdv)
	if err != nil {
		return fmt.Errorf("could not restart the cluster bus on %s: %v", old.Addr(), err)
	}
	cs.gossip.Store(g)
	return nil
}

// cmdClusterSaveconfig is CLUSTER SAVECONFIG: cluster-config-file written now with
// the topology the node follows (the saver writes each new one soon after it
// arrives; the sentinels' log is where the layout lives).
func cmdClusterSaveconfig(c *Client) {
	if !c.clusterOn() {
		return
	}
	if top := c.s.cluster.top.Load(); top != nil {
		if err := c.s.saveNodesConf(top); err != nil {
			c.Err("ERR error saving the cluster node config: " + err.Error())
			return
		}
	}
	c.OK()
}

// cmdClusterCountFailureReports is CLUSTER COUNT-FAILURE-REPORTS node-id: failure
// reports are the sentinels' business, so a node counts none.
func cmdClusterCountFailureReports(c *Client) {
	if !c.clusterOn() {
		return
	}
	if _, ok := c.s.clusterView().Node(string(c.args[2])); !ok {
		c.Err("ERR Unknown node " + string(c.args[2]))
		return
	}
	c.w.Int(0)
}
