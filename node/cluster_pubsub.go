package node

import (
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/storage/aof"
)

// Pub/sub across the cluster, as Redis's cluster bus carries it: PUBLISH reaches the
// subscribers of every node, SPUBLISH those of every node of the channel's shard
// (its primary and replicas). The node that runs the command delivers locally and
// answers its own count (as Redis does); each other node gets the message over the
// gossip's reliable channel and delivers it locally only. Messages to one node are
// sent in order, batched while a send is in flight; a node's queue is bounded
// (busQueueLimit bytes) and messages past it are dropped, as Redis drops a cluster
// link past cluster-link-sendbuf-limit.

const busQueueLimit = 64 << 20

// busBatchLimit bounds one send: larger queues go out in several.
const busBatchLimit = 1 << 20

// busPeer is the queue of messages to one node and the goroutine draining it.
type busPeer struct {
	mu      sync.Mutex
	pending []byte // encoded messages (appendBusMessage)
	wake    chan struct{}
}

// busState is the node's set of peers to forward to.
type busState struct {
	mu      sync.Mutex
	peers   map[string]*busPeer
	dropped atomic.Int64 // messages dropped on full queues (CLUSTER INFO)
}

// forwardPublish sends a message just published here to the nodes that must deliver
// it too: every other node for a plain channel, the other nodes of this node's shard
// for a shard channel.
func (s *Server) forwardPublish(kind int, channel, msg []byte) {
	top := s.cluster.top.Load()
	if top == nil {
		return
	}
	me := s.cluster.myID()
	if kind == kindShard {
		sh, ok := top.ShardOf(me)
		if !ok {
			return
		}
		if sh.Primary != me {
			s.busSend(sh.Primary, kind, channel, msg)
		}
		for _, id := range sh.Replicas {
			if id != me {
				s.busSend(id, kind, channel, msg)
			}
		}
		return
	}
	for _, n := range top.Nodes() {
		if n.ID != me {
			s.busSend(n.ID, kind, channel, msg)
		}
	}
}

// busSend queues one message for node id.
func (s *Server) busSend(id string, kind int, channel, msg []byte) {
	b := &s.bus
	b.mu.Lock()
	p, ok := b.peers[id]
	if !ok {
		select {
		case <-s.stop: // closing: no new forwarder
			b.mu.Unlock()
			return
		default:
		}
		if b.peers == nil {
			b.peers = map[string]*busPeer{}
		}
		p = &busPeer{wake: make(chan struct{}, 1)}
		b.peers[id] = p
		s.goTracked(func() { s.drainBus(id, p) })
	}
	b.mu.Unlock()
	p.mu.Lock()
	if len(p.pending) > busQueueLimit {
		p.mu.Unlock()
		b.dropped.Add(1)
		return
	}
	p.pending = appendBusMessage(p.pending, kind, channel, msg)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// drainBus sends node id's queue until the server stops; a node that left the
// topology has its queue dropped and its goroutine ended.
func (s *Server) drainBus(id string, p *busPeer) {
	for {
		select {
		case <-s.stop:
			return
		case <-p.wake:
		case <-time.After(time.Minute):
			if top := s.cluster.top.Load(); top != nil {
				if _, ok := top.Node(id); !ok {
					s.bus.mu.Lock()
					delete(s.bus.peers, id)
					s.bus.mu.Unlock()
					return
				}
			}
			continue
		}
		for {
			p.mu.Lock()
			batch := p.pending
			if len(batch) > busBatchLimit {
				batch = batch[:busBatchCut(batch, busBatchLimit)]
			}
			rest := p.pending[len(batch):]
			p.pending = append([]byte(nil), rest...)
			p.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			g := s.cluster.gossip.Load()
			if g == nil {
				break
			}
			addr := ""
			if top := s.cluster.top.Load(); top != nil {
				if n, ok := top.Node(id); ok {
					addr = net.JoinHostPort(n.IP, strconv.Itoa(n.BusPort))
				}
			}
			if err := g.SendTo(id, addr, batch); err != nil {
				s.log.Verbosef("Forwarding published messages to node %s: %v", id, err)
			}
		}
	}
}

// receiveBus delivers the messages of a batch another node forwarded.
func (s *Server) receiveBus(payload []byte) {
	decodeBusMessages(payload, func(kind int, channel, msg []byte) {
		s.publish(kind, channel, msg)
	})
}

// A bus message: kind (1 byte: kindChannel or kindShard), then the channel and the
// message, each as a uvarint length and the bytes.
func appendBusMessage(b []byte, kind int, channel, msg []byte) []byte {
	b = append(b, byte(kind))
	b = binary.AppendUvarint(b, uint64(len(channel)))
	b = append(b, channel...)
	b = binary.AppendUvarint(b, uint64(len(msg)))
	return append(b, msg...)
}

var errBusMessage = errors.New("malformed bus message")

// decodeBusMessages calls fn for each message of b, in order, and stops at the first
// malformed one.
func decodeBusMessages(b []byte, fn func(kind int, channel, msg []byte)) error {
	for len(b) > 0 {
		kind := int(b[0])
		if kind != kindChannel && kind != kindShard {
			return errBusMessage
		}
		b = b[1:]
		var parts [2][]byte
		for i := range parts {
			n, w := binary.Uvarint(b)
			if w <= 0 || n > uint64(len(b)-w) {
				return errBusMessage
			}
			parts[i], b = b[w:w+int(n)], b[w+int(n):]
		}
		fn(kind, parts[0], parts[1])
	}
	return nil
}

// busBatchCut is the length of the longest run of whole messages of b within limit
// (at least the first message).
func busBatchCut(b []byte, limit int) int {
	cut := 0
	for cut < len(b) {
		end := cut + 1
		for range 2 {
			n, w := binary.Uvarint(b[end:])
			end += w + int(n)
		}
		if cut > 0 && end > limit {
			break
		}
		cut = end
	}
	return cut
}

// publishHere is PUBLISH and SPUBLISH: the message is delivered on this node, and
// reaches the other nodes that must deliver it — over the cluster bus in cluster mode,
// through the replication stream otherwise (to replicas only, never the AOF, as
// Redis's forceCommandPropagation(PROPAGATE_REPL) does). It returns how many clients
// here received it.
func (c *Client) publishHere(kind int) {
	s := c.s
	channel, msg := c.args[1], c.args[2]
	n := s.publish(kind, channel, msg)
	switch {
	case s.cluster.enabled:
		if !c.obeys() {
			s.forwardPublish(kind, channel, msg)
		}
	case s.repl.active.Load() && !s.up.following.Load():
		s.replFeed([]aof.Cmd{{DB: c.db.ID(), Args: c.args}})
	}
	c.w.Int(int64(n))
}
