package node

import (
	"slices"
	"strings"
	"sync"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
)

// Subscription kinds: channels (SUBSCRIBE), patterns (PSUBSCRIBE) and shard channels
// (SSUBSCRIBE) are three separate namespaces.
const (
	kindChannel = iota
	kindPattern
	kindShard
)

// pubsubKind holds the reply words of one kind of subscription.
type pubsubKind struct {
	sub, unsub, message string
}

var pubsubKinds = [3]pubsubKind{
	kindChannel: {"subscribe", "unsubscribe", "message"},
	kindPattern: {"psubscribe", "punsubscribe", "pmessage"},
	kindShard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// pubsubRegistry maps every channel, pattern and shard channel to its subscribers.
// Publishers hold mu for reading while they append to the subscribers' outboxes, and
// a subscription changes under mu held for writing together with its confirmation, so
// a subscriber sees its confirmation before any message of the channel and none after
// its unsubscription. Lock order: mu, then an outbox's lock.
type pubsubRegistry struct {
	mu   sync.RWMutex
	subs [3]map[string]map[*Client]struct{}
}

// subscriptions is one client's subscriptions of each kind, in subscription order
// (UNSUBSCRIBE without arguments answers in that order). Owned by the connection
// goroutine; changed only under the registry's lock.
type subscriptions struct {
	names [3]map[string]uint64 // name → sequence number
	seq   uint64
}

func (sb *subscriptions) ordered(kind int) []string {
	m := sb.names[kind]
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	slices.SortFunc(out, func(a, b string) int { return int(m[a]) - int(m[b]) })
	return out
}

func pubsubDefs() []def {
	return []def{
		{name: "subscribe", fn: cmdSubscribe, lock: lockNone},
		{name: "psubscribe", fn: cmdPsubscribe, lock: lockNone},
		{name: "ssubscribe", fn: cmdSsubscribe, lock: lockNone},
		{name: "unsubscribe", fn: cmdUnsubscribe, lock: lockNone},
		{name: "punsubscribe", fn: cmdPunsubscribe, lock: lockNone},
		{name: "sunsubscribe", fn: cmdSunsubscribe, lock: lockNone},
		{name: "publish", fn: cmdPublish, lock: lockNone},
		{name: "spublish", fn: cmdSpublish, lock: lockNone},
		{name: "pubsub|channels", fn: cmdPubsubChannels, lock: lockNone},
		{name: "pubsub|shardchannels", fn: cmdPubsubShardchannels, lock: lockNone},
		{name: "pubsub|numsub", fn: cmdPubsubNumsub, lock: lockNone},
		{name: "pubsub|shardnumsub", fn: cmdPubsubShardnumsub, lock: lockNone},
		{name: "pubsub|numpat", fn: cmdPubsubNumpat, lock: lockNone},
		{name: "pubsub|help", fn: cmdPubsubHelp, lock: lockNone},
	}
}

func cmdSubscribe(c *Client)  { c.subscribe(kindChannel, c.args[1:]) }
func cmdPsubscribe(c *Client) { c.subscribe(kindPattern, c.args[1:]) }
func cmdSsubscribe(c *Client) { c.subscribe(kindShard, c.args[1:]) }

func cmdUnsubscribe(c *Client)  { c.unsubscribe(kindChannel, c.args[1:], true) }
func cmdPunsubscribe(c *Client) { c.unsubscribe(kindPattern, c.args[1:], true) }
func cmdSunsubscribe(c *Client) { c.unsubscribe(kindShard, c.args[1:], true) }

// subCounter returns the count a (un)subscribe confirmation reports: shard channels
// for the shard kind, channels plus patterns otherwise.
func (c *Client) subCounter(kind int) int64 {
	if kind == kindShard {
		return int64(c.nSub[kindShard].Load())
	}
	return int64(c.nSub[kindChannel].Load() + c.nSub[kindPattern].Load())
}

// subscribed reports whether the client has any subscription.
func (c *Client) subscribed() bool { return c.subCount.Load() > 0 }

// subscribe adds names of kind to the client's subscriptions, confirming each.
func (c *Client) subscribe(kind int, names [][]byte) {
	o := c.ensureOutbox()
	if c.subs == nil {
		c.subs = &subscriptions{}
	}
	c.putReplies()
	r := &c.s.pubsub
	for _, n := range names {
		name := string(n)
		r.mu.Lock()
		if _, ok := c.subs.names[kind][name]; !ok {
			if c.subs.names[kind] == nil {
				c.subs.names[kind] = map[string]uint64{}
			}
			c.subs.seq++
			c.subs.names[kind][name] = c.subs.seq
			if r.subs[kind] == nil {
				r.subs[kind] = map[string]map[*Client]struct{}{}
			}
			set := r.subs[kind][name]
			if set == nil {
				set = map[*Client]struct{}{}
				r.subs[kind][name] = set
			}
			set[c] = struct{}{}
			c.nSub[kind].Add(1)
			c.subCount.Add(1)
		}
		c.confirm(pubsubKinds[kind].sub, n, c.subCounter(kind))
		o.mu.Lock()
		o.appendLocked(c.w.B)
		o.mu.Unlock()
		c.w.Reset()
		r.mu.Unlock()
	}
}

// unsubscribe removes names of kind (all of them when names is empty), confirming
// each when reply is set. Without subscriptions of kind, an empty unsubscribe
// still confirms once, with a null name.
func (c *Client) unsubscribe(kind int, names [][]byte, reply bool) {
	if c.subs == nil || len(c.subs.names[kind]) == 0 {
		if reply {
			if len(names) == 0 {
				c.confirm(pubsubKinds[kind].unsub, nil, c.subCounter(kind))
			}
			for _, n := range names {
				c.confirm(pubsubKinds[kind].unsub, n, c.subCounter(kind))
			}
		}
		return
	}
	if len(names) == 0 {
		for _, name := range c.subs.ordered(kind) {
			names = append(names, []byte(name))
		}
	}
	if reply {
		c.putReplies()
	}
	r := &c.s.pubsub
	for _, n := range names {
		name := string(n)
		r.mu.Lock()
		if _, ok := c.subs.names[kind][name]; ok {
			delete(c.subs.names[kind], name)
			set := r.subs[kind][name]
			delete(set, c)
			if len(set) == 0 {
				delete(r.subs[kind], name)
			}
			c.nSub[kind].Add(-1)
			c.subCount.Add(-1)
		}
		if reply {
			c.confirm(pubsubKinds[kind].unsub, n, c.subCounter(kind))
			c.out.append(c.w.B)
			c.w.Reset()
		}
		r.mu.Unlock()
	}
}

// unsubscribeAll drops every subscription without replies (RESET, disconnection).
func (c *Client) unsubscribeAll() {
	if c.subs == nil {
		return
	}
	for kind := range pubsubKinds {
		c.unsubscribe(kind, nil, false)
	}
}

// confirm writes a (un)subscribe confirmation: an array in RESP2, a push in RESP3.
func (c *Client) confirm(word string, name []byte, count int64) {
	if c.w.RESP3() {
		c.w.Push(3)
	} else {
		c.w.Array(3)
	}
	c.w.BulkString(word)
	if name == nil {
		c.w.Null()
	} else {
		c.w.Bulk(name)
	}
	c.w.Int(count)
}

func cmdPublish(c *Client)  { c.publishHere(kindChannel) }
func cmdSpublish(c *Client) { c.publishHere(kindShard) }

// publish delivers msg to the subscribers of channel (and, for plain channels, of the
// matching patterns) and returns how many received it.
func (s *Server) publish(kind int, channel, msg []byte) int {
	r := &s.pubsub
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	word := pubsubKinds[kind].message
	for cl := range r.subs[kind][string(channel)] {
		cl.push(word, nil, channel, msg)
		n++
	}
	if kind == kindChannel {
		for pat, set := range r.subs[kindPattern] {
			if !glob.Match([]byte(pat), channel, false) {
				continue
			}
			for cl := range set {
				cl.push("pmessage", []byte(pat), channel, msg)
				n++
			}
		}
	}
	return n
}

// push appends one message to the client's outbox (any goroutine).
func (c *Client) push(word string, pattern, channel, msg []byte) {
	o := c.out
	n := 3
	if pattern != nil {
		n = 4
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dead {
		return
	}
	w := resp.Writer{B: o.buf, Proto: int(c.proto.Load())}
	if w.RESP3() {
		w.Push(n)
	} else {
		w.Array(n)
	}
	w.BulkString(word)
	if pattern != nil {
		w.Bulk(pattern)
	}
	w.Bulk(channel)
	w.Bulk(msg)
	o.buf = w.B
	o.appendLocked(nil)
}

func cmdPubsubChannels(c *Client)      { c.pubsubChannels(kindChannel) }
func cmdPubsubShardchannels(c *Client) { c.pubsubChannels(kindShard) }
func cmdPubsubNumsub(c *Client)        { c.pubsubNumsub(kindChannel) }
func cmdPubsubShardnumsub(c *Client)   { c.pubsubNumsub(kindShard) }

func (c *Client) pubsubChannels(kind int) {
	if len(c.args) > 3 {
		c.subcommandSyntaxError()
		return
	}
	var pat []byte
	if len(c.args) == 3 {
		pat = c.args[2]
	}
	r := &c.s.pubsub
	r.mu.RLock()
	var names []string
	for name := range r.subs[kind] {
		if pat == nil || glob.Match(pat, []byte(name), false) {
			names = append(names, name)
		}
	}
	r.mu.RUnlock()
	slices.Sort(names)
	c.w.StringArray(names)
}

func (c *Client) pubsubNumsub(kind int) {
	r := &c.s.pubsub
	r.mu.RLock()
	defer r.mu.RUnlock()
	c.w.Map(len(c.args) - 2)
	for _, ch := range c.args[2:] {
		c.w.Bulk(ch)
		c.w.Int(int64(len(r.subs[kind][string(ch)])))
	}
}

func cmdPubsubNumpat(c *Client) {
	r := &c.s.pubsub
	r.mu.RLock()
	n := len(r.subs[kindPattern])
	r.mu.RUnlock()
	c.w.Int(int64(n))
}

// counts returns the number of channels, patterns and shard channels with subscribers
// (INFO stats pubsub_channels, pubsub_patterns, pubsubshard_channels).
func (r *pubsubRegistry) counts() (channels, patterns, shard int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.subs[kindChannel]), len(r.subs[kindPattern]), len(r.subs[kindShard])
}

func cmdPubsubHelp(c *Client) {
	writeHelp(c, "PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)")
}

// subscribedModeAllows reports whether a RESP2 client with subscriptions may run cmd.
func subscribedModeAllows(name string) bool {
	switch name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
		"ping", "quit", "reset":
		return true
	}
	return false
}

// errSubscribedMode is the error for other commands in RESP2 subscribed mode.
func errSubscribedMode(fullName string) string {
	return "ERR Can't execute '" + strings.ToLower(fullName) + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}
