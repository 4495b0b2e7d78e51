// Package gossip spreads the cluster's topology and membership with
// hashicorp/memberlist. Every sentinel and data node is a member; its metadata (ID,
// role, shard, announced address, replication offset) rides memberlist's node meta.
// The topology is the Raft group's: gossip never changes it, it only carries it, and a
// member adopts a topology only when its epoch is higher than the one it holds.
//
// How a new topology travels: the member that publishes it (the sentinel leader, once
// Raft committed it) sends it whole to every member over memberlist's reliable (TCP)
// channel, and queues a small "epoch N exists" notice on the UDP gossip; a member that
// hears of an epoch it lacks asks the notice's origin for it. Push/pull state
// exchanges (at join and periodically) carry the whole topology too, so a member that
// missed everything catches up. Everything is encrypted and authenticated with the
// cluster secret (memberlist's keyring): a process without it cannot join or be heard.
//
// Members also send each other opaque payloads over the reliable channel (SendTo,
// Config.OnMessage): data nodes forward PUBLISH this way, as Redis's cluster bus does.
package gossip

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/shoal-db/shoal/slots"
)

// Config configures a member.
type Config struct {
	Name string // unique member name: the node's ID (or a sentinel's)
	// Bind is the gossip address ("127.0.0.1:0": any port); Advertise, if set, is the
	// address others reach it at (cluster-announce-ip / -bus-port).
	Bind, Advertise string
	// Secret is the cluster secret; members must share it. Empty disables encryption
	// (tests of the refusal only).
	Secret string
	// Meta is the member's metadata, at most 512 bytes; Update re-announces it.
	Meta func() []byte
	// OnTopology, if set, is called with each topology adopted (higher epoch). It must
	// not block.
	OnTopology func(*slots.Topology)
	// OnMessage, if set, is called with the payload of each message another member
	// sent with SendTo (data nodes forward PUBLISH this way). It must not block long.
	OnMessage func(payload []byte)
	// PushPull is the interval of full state exchanges (memberlist's PushPullInterval);
	// 0 means 5 s.
	PushPull time.Duration
	Log      io.Writer // memberlist's log, io.Discard when nil
	// Faults, if set, carries the member's traffic (tests of partitions).
	Faults Faults
}

// Gossip is a running member.
type Gossip struct {
	cfg   Config
	ml    *memberlist.Memberlist
	queue *memberlist.TransmitLimitedQueue
	addr  string // the member's gossip address (set by Start)

	mu    sync.Mutex
	top   *slots.Topology
	asked uint64 // the highest epoch asked for (one request per epoch)

	memMu   sync.Mutex
	members map[string]Member // live members by name (see Members)
	gone    map[string]bool   // members that left (true) or failed (false), until they come back
}

// Message kinds on the wire (the first byte).
const (
	msgTopology byte = 1 // a whole topology (wire form follows)
	msgNotice   byte = 2 // epoch (8 bytes) exists at origin (name follows)
	msgWant     byte = 3 // the sender (name follows) wants the current topology
	msgApp      byte = 4 // a payload for Config.OnMessage
)

// Start creates a member and joins the members at join (any one that answers will
// do; none for the first member).
func Start(cfg Config, join []string) (*Gossip, error) {
	g := &Gossip{cfg: cfg}
	empty, err := slots.New(0, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	g.top = empty
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.Name
	host, port, err := net.SplitHostPort(cfg.Bind)
	if err != nil {
		return nil, err
	}
	mc.BindAddr = host
	if mc.BindPort, err = strconv.Atoi(port); err != nil {
		return nil, err
	}
	mc.AdvertisePort = mc.BindPort
	if cfg.Advertise != "" {
		ah, ap, err := net.SplitHostPort(cfg.Advertise)
		if err != nil {
			return nil, err
		}
		mc.AdvertiseAddr = ah
		if mc.AdvertisePort, err = strconv.Atoi(ap); err != nil {
			return nil, err
		}
	}
	if cfg.Secret != "" {
		key := sha256.Sum256([]byte("shoal cluster secret\x00" + cfg.Secret))
		mc.SecretKey = key[:]
	}
	out := cfg.Log
	if out == nil {
		out = io.Discard
	}
	mc.Logger = log.New(out, "", log.LstdFlags)
	mc.PushPullInterval = cfg.PushPull
	if mc.PushPullInterval == 0 {
		mc.PushPullInterval = 5 * time.Second
	}
	mc.Delegate = (*delegate)(g)
	g.members, g.gone = map[string]Member{}, map[string]bool{}
	mc.Events = (*events)(g)
	g.queue = &memberlist.TransmitLimitedQueue{NumNodes: func() int { return g.ml.NumMembers() }, RetransmitMult: 3}
	if cfg.Faults != nil {
		if err := useFaults(mc, cfg.Faults); err != nil {
			return nil, err
		}
	}
	if g.ml, err = memberlist.Create(mc); err != nil {
		return nil, err
	}
	// The address, once: memberlist rewrites its local node in place on each
	// metadata update (UpdateNode), so reading it later would race with that.
	n := g.ml.LocalNode()
	g.addr = net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
	if len(join) > 0 {
		if _, err := g.ml.Join(join); err != nil {
			g.ml.Shutdown()
			return nil, err
		}
	}
	return g, nil
}

// Addr is the member's gossip address.
func (g *Gossip) Addr() string { return g.addr }

// Topology is the topology the member holds.
func (g *Gossip) Topology() *slots.Topology {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.top
}

// Member is a live member and its metadata.
type Member struct {
	Name string
	Addr string
	Meta []byte
}

// Members lists the live members, this one included, by name. (A copy kept from
// memberlist's join/update/leave events: the nodes memberlist hands out are updated in
// place under its own lock.)
func (g *Gossip) Members() []Member {
	g.memMu.Lock()
	defer g.memMu.Unlock()
	out := make([]Member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// events keeps Gossip.members from memberlist's notifications (called under its lock).
type events Gossip

// NotifyJoin records a member that joined and sends it the held topology (it adopts
// it only when newer than its own). A member can miss every broadcast — members of a
// whole cluster restarting rejoin piecemeal, and one that joined another before any
// held a topology would learn of it only at the next push/pull (seconds). (The
// topology itself, not a notice: the joiner may not know this member yet, so could
// not ask it.)
func (e *events) NotifyJoin(n *memberlist.Node) {
	e.set(n)
	g := (*Gossip)(e)
	if n.Name == g.cfg.Name {
		return
	}
	if top := g.Topology(); top.Epoch() > 0 {
		addr := net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
		go g.deliver(n.Name, addr, topologyMsg(top))
	}
}

func (e *events) NotifyUpdate(n *memberlist.Node) { e.set(n) }
func (e *events) NotifyLeave(n *memberlist.Node) {
	e.memMu.Lock()
	delete(e.members, n.Name)
	if len(e.gone) < maxGone {
		e.gone[n.Name] = n.State == memberlist.StateLeft
	}
	e.memMu.Unlock()
}

// maxGone bounds how many departed members MemberStates remembers.
const maxGone = 4096

// MemberStates counts the members this one knows by state: "alive" (live, this one
// included), "failed" (found dead by the failure detector) and "left" (left on
// purpose), the last two since this process started or until they come back.
func (g *Gossip) MemberStates() map[string]int {
	g.memMu.Lock()
	defer g.memMu.Unlock()
	out := map[string]int{"alive": len(g.members), "failed": 0, "left": 0}
	for _, left := range g.gone {
		if left {
			out["left"]++
		} else {
			out["failed"]++
		}
	}
	return out
}

// HealthScore is memberlist's awareness score of this member: 0 when it keeps up
// with the failure detector's probes, higher while it is too slow to.
func (g *Gossip) HealthScore() int { return g.ml.GetHealthScore() }

func (e *events) set(n *memberlist.Node) {
	m := Member{Name: n.Name, Addr: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))), Meta: slices.Clone(n.Meta)}
	e.memMu.Lock()
	e.members[n.Name] = m
	delete(e.gone, n.Name)
	e.memMu.Unlock()
}

// A sentinel's metadata names its RESP and Raft addresses: "sentinel <resp> <raft>".
// Data nodes find the sentinels (to propose layout changes) and sentinels find the
// leader's RESP address through it.
const sentinelTag = "sentinel"

// SentinelMeta is a sentinel's metadata.
func SentinelMeta(respAddr, raftAddr string) []byte {
	return []byte(sentinelTag + " " + respAddr + " " + raftAddr)
}

// ParseSentinelMeta reads a sentinel's metadata; ok is false for any other member's.
func ParseSentinelMeta(meta []byte) (respAddr, raftAddr string, ok bool) {
	f := strings.Fields(string(meta))
	if len(f) != 3 || f[0] != sentinelTag {
		return "", "", false
	}
	return f[1], f[2], true
}

// NodeMeta is a data node's metadata: who it is, what it does, and how far its
// replication stream is (what the sentinels compare when choosing a replica to
// promote).
type NodeMeta struct {
	ID     string `json:"id"`
	Role   string `json:"role"`            // "master" or "slave", as ROLE says
	Shard  string `json:"shard,omitempty"` // its shard's ID, "" when in none
	Addr   string `json:"addr"`            // announced client address, host:port
	Offset int64  `json:"offset"`          // replication offset (master_repl_offset)
}

// Encode is m as node metadata (JSON, well under memberlist's 512-byte limit).
func (m NodeMeta) Encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

// ParseNodeMeta reads a data node's metadata; ok is false for any other member's.
func ParseNodeMeta(meta []byte) (NodeMeta, bool) {
	var m NodeMeta
	if len(meta) == 0 || meta[0] != '{' || json.Unmarshal(meta, &m) != nil || m.ID == "" {
		return NodeMeta{}, false
	}
	return m, true
}

// Update re-announces the member's metadata.
func (g *Gossip) Update() error { return g.ml.UpdateNode(time.Second) }

// Publish adopts top (if its epoch is higher than the held one) and sends it to every
// member. Only the Raft group's committed topologies are published.
func (g *Gossip) Publish(top *slots.Topology) {
	if !g.adopt(top) {
		return
	}
	msg := topologyMsg(top)
	for _, m := range g.Members() {
		if m.Name != g.cfg.Name {
			go g.deliver(m.Name, m.Addr, msg) // a member that misses it catches up by notice or push/pull
		}
	}
	g.queue.QueueBroadcast(notice{epoch: top.Epoch(), msg: noticeMsg(top.Epoch(), g.cfg.Name)})
}

// Join joins the members at addrs (one answering is enough).
func (g *Gossip) Join(addrs ...string) error {
	_, err := g.ml.Join(addrs)
	return err
}

// Close leaves the cluster and stops the member.
func (g *Gossip) Close() error {
	g.ml.Leave(time.Second)
	return g.ml.Shutdown()
}

// adopt makes top the held topology if its epoch is higher; it reports whether it did.
func (g *Gossip) adopt(top *slots.Topology) bool {
	g.mu.Lock()
	if top.Epoch() <= g.top.Epoch() {
		g.mu.Unlock()
		return false
	}
	g.top = top
	g.mu.Unlock()
	if g.cfg.OnTopology != nil {
		g.cfg.OnTopology(top)
	}
	return true
}

// stale reports whether the topology wire form b is no newer than the member's, by
// its epoch alone (adopt would drop it after decoding it).
func (g *Gossip) stale(b []byte) bool {
	epoch, ok := slots.WireEpoch(b)
	return ok && epoch <= g.Topology().Epoch()
}

// topologyMsg is the message carrying top whole.
func topologyMsg(top *slots.Topology) []byte { return append([]byte{msgTopology}, top.Encode()...) }

func noticeMsg(epoch uint64, origin string) []byte {
	b := binary.BigEndian.AppendUint64([]byte{msgNotice}, epoch)
	return append(b, origin...)
}

// receive handles one message from another member (gossip or reliable); malformed
// ones are dropped.
func (g *Gossip) receive(b []byte) {
	if len(b) == 0 {
		return
	}
	switch b[0] {
	case msgTopology:
		if g.stale(b[1:]) {
			return
		}
		if top, err := slots.Decode(b[1:]); err == nil {
			g.adopt(top)
		}
	case msgNotice:
		if len(b) < 9 {
			return
		}
		epoch, origin := binary.BigEndian.Uint64(b[1:9]), string(b[9:])
		g.mu.Lock()
		want := epoch > g.top.Epoch() && epoch > g.asked
		if want {
			g.asked = epoch
		}
		g.mu.Unlock()
		if want {
			go func() {
				if g.deliver(origin, "", append([]byte{msgWant}, g.cfg.Name...)) != nil {
					g.mu.Lock() // (not sent — the origin may not be known here yet: a later notice asks again)
					if g.asked == epoch {
						g.asked = 0
					}
					g.mu.Unlock()
				}
			}()
		}
	case msgWant:
		g.send(string(b[1:]), topologyMsg(g.Topology()))
	case msgApp:
		if g.cfg.OnMessage != nil {
			g.cfg.OnMessage(b[1:])
		}
	}
}

// SendTo sends payload to the member named to over the reliable (TCP) channel, and
// returns once it is written; its OnMessage gets the payload. addr, the member's
// gossip address as the topology announces it, reaches a member this one has not
// heard of yet (membership spreads in a second or so).
func (g *Gossip) SendTo(to, addr string, payload []byte) error {
	return g.deliver(to, addr, append([]byte{msgApp}, payload...))
}

// deliver sends msg over the reliable channel to the member named to: at the address
// its membership gives, else at addr (host:port).
func (g *Gossip) deliver(to, addr string, msg []byte) error {
	g.memMu.Lock()
	if m, ok := g.members[to]; ok {
		addr = m.Addr
	}
	g.memMu.Unlock()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	return g.ml.SendReliable(&memberlist.Node{Name: to, Addr: net.ParseIP(host), Port: uint16(p)}, msg)
}

// send sends msg reliably to the member named to, if it is alive, in the background.
func (g *Gossip) send(to string, msg []byte) { go g.deliver(to, "", msg) }

// delegate is memberlist's view of a Gossip.
type delegate Gossip

func (d *delegate) NodeMeta(limit int) []byte {
	if d.cfg.Meta == nil {
		return nil
	}
	m := d.cfg.Meta()
	if len(m) > limit {
		return m[:0]
	}
	return m
}

func (d *delegate) NotifyMsg(b []byte) { (*Gossip)(d).receive(b) }

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}

func (d *delegate) LocalState(join bool) []byte { return (*Gossip)(d).Topology().Encode() }

func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	if (*Gossip)(d).stale(buf) {
		return
	}
	if top, err := slots.Decode(buf); err == nil {
		(*Gossip)(d).adopt(top)
	}
}

// notice is a queued "epoch exists" broadcast; a newer one supersedes it.
type notice struct {
	epoch uint64
	msg   []byte
}

func (n notice) Invalidates(b memberlist.Broadcast) bool {
	o, ok := b.(notice)
	return ok && o.epoch <= n.epoch
}

func (n notice) Message() []byte { return n.msg }
func (n notice) Finished()       {}
