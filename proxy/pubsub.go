package proxy

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
)

// Subscriptions. A session's SUBSCRIBE and PSUBSCRIBE go on its own connection to one
// primary (a node delivers what is published on any node of the cluster); its
// SSUBSCRIBE on its own connection to each shard channel's primary. The proxy keeps
// the session's channels, patterns and shard channels itself: it renders each
// confirmation with the client's counts when the command is sent, and writes it when
// the node confirms (so a message published after the client read a confirmation
// reaches it). When a node connection fails, or a shard channel's slot moves to
// another primary, the subscriptions are made again on the node that now serves
// them, their confirmations swallowed: the client sees no gap but the messages
// published while no node had it subscribed.

// Subscription classes: an index into subState.names.
const (
	clChannel = iota
	clPattern
	clShard
)

var subVerbs = [3][2]string{{"subscribe", "unsubscribe"}, {"psubscribe", "punsubscribe"}, {"ssubscribe", "sunsubscribe"}}

// subState is a session's subscriptions.
type subState struct {
	s      *session
	mu     sync.Mutex
	names  [3]map[string]bool
	main   *subConn            // channels and patterns
	shards map[string]*subConn // shard channels, by node address
	closed bool
}

// subConn is one of a session's connections to a node in subscribed mode.
type subConn struct {
	st     *subState
	addr   string
	conn   net.Conn
	class  int             // clChannel (channels and patterns) or clShard
	names  map[string]bool // shard channels subscribed on it (clShard)
	expect []expectation   // confirmations the node owes, in order
	dead   bool
}

// expectation is a confirmation the node owes: out (nil: none) is written to the
// client when it comes. An error reply instead cancels the command's expectations
// (group).
type expectation struct {
	out   []byte
	group *sentCmd
}

// sentCmd is a (un)subscribing command sent to a node.
type sentCmd struct {
	raw   []byte
	class int
	sub   bool     // subscribing (not unsubscribing)
	names []string // its channels
	quiet bool     // the proxy's own: an error reply is not the client's
}

// subscribed reports whether the session is in subscribed mode.
func (st *subState) subscribed() bool {
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.names[0])+len(st.names[1])+len(st.names[2]) > 0
}

// count is the count a confirmation of class carries: channels and patterns
// together, shard channels apart.
func (st *subState) count(class int) int {
	if class == clShard {
		return len(st.names[clShard])
	}
	return len(st.names[clChannel]) + len(st.names[clPattern])
}

// close closes every connection of the subscriptions.
func (st *subState) close() {
	if st == nil {
		return
	}
	st.s.p.forget(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.closed = true
	if st.main != nil {
		st.main.conn.Close()
	}
	for _, sc := range st.shards {
		sc.conn.Close()
	}
}

// subscribe answers (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE.
func (s *session) subscribe(name string, args [][]byte) {
	class, sub := clChannel, true
	for c, verbs := range subVerbs {
		if name == verbs[0] {
			class = c
		} else if name == verbs[1] {
			class, sub = c, false
		}
	}
	if sub && len(args) < 2 {
		s.fail("ERR wrong number of arguments for '" + name + "' command")
		return
	}
	slot := -1
	if class == clShard && len(args) > 1 {
		for _, a := range args[1:] {
			k := slots.KeySlot(a)
			if slot >= 0 && k != slot {
				s.fail("CROSSSLOT Keys in request don't hash to the same slot")
				return
			}
			slot = k
		}
	}
	if s.sub == nil {
		if !sub { // nothing to unsubscribe from: the confirmation at once
			var w resp.Writer
			w.Proto = s.w.Proto
			w.Push(3)
			w.BulkString(name)
			w.Null()
			w.Int(0)
			s.w.Raw(w.B)
			return
		}
		s.sub = &subState{s: s, names: [3]map[string]bool{{}, {}, {}}, shards: map[string]*subConn{}}
		s.p.follow(s.sub)
	}
	s.flush() // the replies before it first: the confirmations come from elsewhere
	names := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		names = append(names, string(a))
	}
	st := s.sub
	st.mu.Lock()
	defer st.mu.Unlock()
	if !sub && len(names) == 0 {
		for n := range st.names[class] {
			names = append(names, n)
		}
	}
	cmd := &sentCmd{raw: command(args), class: class, sub: sub, names: names}
	var exp []expectation
	for _, n := range names {
		if sub {
			st.names[class][n] = true
		} else {
			delete(st.names[class], n)
		}
		exp = append(exp, expectation{out: s.confirmation(name, []byte(n), st.count(class)), group: cmd})
	}
	if len(names) == 0 { // an unsubscribe of nothing
		exp = append(exp, expectation{out: s.confirmation(name, nil, st.count(class)), group: cmd})
	}
	if class == clShard {
		if len(names) > 0 {
			slot = slots.KeySlot([]byte(names[0]))
		}
		if !sub && len(args) == 1 {
			// SUNSUBSCRIBE of everything: each node connection unsubscribes its own.
			st.unsubscribeShards(exp)
			return
		}
	}
	st.send(class, slot, cmd, exp)
}

// confirmation renders a (un)subscribe confirmation.
func (s *session) confirmation(verb string, name []byte, count int) []byte {
	var w resp.Writer
	w.Proto = s.w.Proto
	w.Push(3)
	w.BulkString(verb)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
	return w.B
}

// send sends cmd on the connection that serves class (for shard channels, slot's
// primary) with its expectations; with st.mu held. A node that cannot be reached
// leaves the command to the retry loop of the connection.
func (st *subState) send(class, slot int, cmd *sentCmd, exp []expectation) {
	sc := st.conn(class, slot)
	if sc == nil {
		st.write(joinOuts(exp)) // confirmed: the subscriptions are made when a node is back
		go st.retry(class)
		return
	}
	if class == clShard {
		for _, n := range cmd.names {
			if cmd.sub {
				sc.names[n] = true
			} else {
				delete(sc.names, n)
			}
		}
	}
	sc.expect = append(sc.expect, exp...)
	if _, err := sc.conn.Write(cmd.raw); err != nil {
		sc.conn.Close() // its reader remakes the subscriptions
	}
}

// unsubscribeShards sends SUNSUBSCRIBE (of everything) on every shard connection;
// the confirmations exp are written once each connection has confirmed.
func (st *subState) unsubscribeShards(exp []expectation) {
	var conns []*subConn
	for _, sc := range st.shards {
		if len(sc.names) > 0 && !sc.dead {
			conns = append(conns, sc)
		}
	}
	if len(conns) == 0 {
		st.write(joinOuts(exp))
		return
	}
	for i, sc := range conns {
		cmd := &sentCmd{raw: []byte("*1\r\n$12\r\nSUNSUBSCRIBE\r\n"), class: clShard}
		n := max(len(sc.names), 1)
		clear(sc.names)
		var mine []expectation
		for j := range n {
			e := expectation{group: cmd}
			if i == len(conns)-1 && j == n-1 {
				e.out = joinOuts(exp)
			}
			mine = append(mine, e)
		}
		sc.expect = append(sc.expect, mine...)
		if _, err := sc.conn.Write(cmd.raw); err != nil {
			sc.conn.Close()
		}
	}
}

func joinOuts(exp []expectation) []byte {
	var out []byte
	for _, e := range exp {
		out = append(out, e.out...)
	}
	return out
}

// write writes b to the client.
func (st *subState) write(b []byte) { st.s.writeAsync(b) }

// conn is the connection serving class (and slot, for shard channels), dialed when
// there is none; nil when the node cannot be reached. With st.mu held.
func (st *subState) conn(class, slot int) *subConn {
	addr := ""
	if class == clShard {
		addr = st.s.p.addrFor(slot)
		if sc := st.shards[addr]; sc != nil && !sc.dead {
			return sc
		}
	} else {
		if st.main != nil && !st.main.dead {
			return st.main
		}
		addr = st.s.p.addrFor(-1)
	}
	if addr == "" || st.closed {
		return nil
	}
	conn, err := dialNode(st.s.p.dialer(), addr, st.s.w.Proto, st.s.authCmd(), st.s.p.cfg.Timeout, false)
	if err != nil {
		return nil
	}
	sc := &subConn{st: st, addr: addr, conn: conn, class: class, names: map[string]bool{}}
	if class == clShard {
		st.shards[addr] = sc
	} else {
		st.main = sc
	}
	go sc.read()
	return sc
}

// read passes the node's messages to the client and its confirmations as expected;
// when the connection fails, the subscriptions it held are made again elsewhere.
func (sc *subConn) read() {
	st := sc.st
	br := bufio.NewReaderSize(sc.conn, 16<<10)
	for {
		reply, err := readReply(br, nil)
		if err != nil {
			sc.conn.Close()
			st.lost(sc)
			return
		}
		verb := ""
		if elems, ok := elements(reply); ok && len(elems) > 0 {
			verb = strings.ToLower(trimBulk(elems[0]))
		}
		switch verb {
		case "message", "pmessage", "smessage":
			st.write(reply)
			continue
		}
		st.mu.Lock()
		if len(sc.expect) == 0 {
			st.mu.Unlock()
			continue // not owed (e.g. a node's own unsubscribe): the proxy's state stands
		}
		head := sc.expect[0]
		if reply[0] == '-' {
			st.refused(sc, head.group, reply)
			st.mu.Unlock()
			continue
		}
		sc.expect = sc.expect[1:]
		st.mu.Unlock()
		st.write(head.out)
	}
}

// trimBulk is the string of a bulk reply.
func trimBulk(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return strings.TrimRight(string(b[i+1:]), "\r\n")
	}
	return ""
}

// refused handles an error reply to cmd: its expectations are dropped; after MOVED
// the command goes to the new owner, otherwise the client gets the error and the
// names are forgotten. With st.mu held.
func (st *subState) refused(sc *subConn, cmd *sentCmd, reply []byte) {
	var exp []expectation
	rest := sc.expect[:0]
	for _, e := range sc.expect {
		if e.group == cmd {
			exp = append(exp, e)
		} else {
			rest = append(rest, e)
		}
	}
	sc.expect = rest
	if cmd.quiet {
		return
	}
	if _, moved := redirect(reply, "-MOVED "); moved && cmd.class == clShard && len(cmd.names) > 0 {
		for _, n := range cmd.names {
			delete(sc.names, n)
		}
		go func() {
			time.Sleep(50 * time.Millisecond) // (the node may learn its slots a moment after the proxy)
			st.s.p.refresh()
			st.mu.Lock()
			defer st.mu.Unlock()
			st.send(clShard, slots.KeySlot([]byte(cmd.names[0])), cmd, exp)
		}()
		return
	}
	if cmd.sub {
		for _, n := range cmd.names {
			delete(st.names[cmd.class], n)
			delete(sc.names, n)
		}
	}
	st.write(reply)
}

// lost remakes the subscriptions of a failed connection on the nodes serving them
// now; the confirmations it still owed are written once they are made.
func (st *subState) lost(sc *subConn) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sc.dead = true
	if st.closed {
		return
	}
	owed := joinOuts(sc.expect)
	sc.expect = nil
	if sc.class == clShard {
		delete(st.shards, sc.addr)
		go st.rehome(owed)
		return
	}
	st.main = nil
	go st.resubscribe(owed)
}

// resubscribe makes the session's channels and patterns on a new connection, trying
// until a node takes them or the session ends.
func (st *subState) resubscribe(owed []byte) {
	retrying(st.s.p, &st.mu, func() bool { return st.closed }, func() bool {
		if len(st.names[clChannel])+len(st.names[clPattern]) == 0 {
			st.write(owed)
			return true
		}
		sc := st.conn(clChannel, -1)
		if sc == nil {
			return false
		}
		var raw []byte
		n := 0
		for class, verb := range []string{"SUBSCRIBE", "PSUBSCRIBE"} {
			if len(st.names[class]) == 0 {
				continue
			}
			args := [][]byte{[]byte(verb)}
			for name := range st.names[class] {
				args = append(args, []byte(name))
			}
			raw = append(raw, command(args)...)
			n += len(args) - 1
		}
		cmd := &sentCmd{raw: raw, sub: true}
		for i := range n {
			e := expectation{group: cmd}
			if i == n-1 {
				e.out = owed
			}
			sc.expect = append(sc.expect, e)
		}
		if _, err := sc.conn.Write(raw); err != nil {
			sc.conn.Close()
		}
		return true
	})
}

// retrying calls step with mu held until it reports success or closed (also called
// with mu held) says the session ended, each new try after a growing pause and a
// fresh read of the slot map.
func retrying(p *Proxy, mu *sync.Mutex, closed, step func() bool) {
	for try := 0; ; try++ {
		if try > 0 {
			time.Sleep(min(time.Duration(try)*100*time.Millisecond, time.Second))
			p.refresh()
		}
		mu.Lock()
		done := closed() || step()
		mu.Unlock()
		if done {
			return
		}
	}
}

// retry makes the subscriptions of class again once a node serves them.
func (st *subState) retry(class int) {
	if class != clShard {
		st.resubscribe(nil)
		return
	}
	st.rehome(nil)
}

// rehome subscribes the shard channels that no live connection to their slot's
// primary holds where they belong now, moving them off connections to nodes that no
// longer own their slots; owed is written once they are made.
func (st *subState) rehome(owed []byte) {
	retrying(st.s.p, &st.mu, func() bool { return st.closed }, func() bool {
		if !st.placeShards() {
			return false
		}
		// Every shard channel is on its owner's connection (owed goes with the last
		// subscription made, or now).
		st.attachOwed(owed)
		return true
	})
}

// placeShards moves each shard channel to its slot's primary: it reports whether all
// are placed. With st.mu held.
func (st *subState) placeShards() bool {
	where := map[string]string{} // channel → the address of the connection holding it
	for addr, sc := range st.shards {
		if sc.dead {
			continue
		}
		for n := range sc.names {
			where[n] = addr
		}
	}
	bySlot := map[int][]string{}
	for n := range st.names[clShard] {
		slot := slots.KeySlot([]byte(n))
		owner := st.s.p.addrFor(slot)
		if owner == "" {
			return false
		}
		if at := where[n]; at == owner {
			continue
		} else if at != "" { // (a slot moved: off the old owner, confirmation swallowed)
			old := st.shards[at]
			delete(old.names, n)
			cmd := &sentCmd{raw: command([][]byte{[]byte("SUNSUBSCRIBE"), []byte(n)}), class: clShard, quiet: true}
			old.expect = append(old.expect, expectation{group: cmd})
			if _, err := old.conn.Write(cmd.raw); err != nil {
				old.conn.Close()
			}
		}
		bySlot[slot] = append(bySlot[slot], n)
	}
	for slot, names := range bySlot {
		sc := st.conn(clShard, slot)
		if sc == nil {
			return false
		}
		args := [][]byte{[]byte("SSUBSCRIBE")}
		for _, n := range names {
			args = append(args, []byte(n))
		}
		cmd := &sentCmd{raw: command(args), class: clShard, sub: true, names: names}
		var exp []expectation
		for range names {
			exp = append(exp, expectation{group: cmd})
		}
		st.send(clShard, slot, cmd, exp)
	}
	return true
}

// attachOwed writes owed after every confirmation now expected (or at once when
// none is). With st.mu held.
func (st *subState) attachOwed(owed []byte) {
	if len(owed) == 0 {
		return
	}
	for _, sc := range st.shards {
		if n := len(sc.expect); n > 0 && !sc.dead {
			sc.expect[n-1].out = append(sc.expect[n-1].out, owed...)
			return
		}
	}
	go st.write(owed)
}

// moved re-places the shard channels after the slot map changed.
func (st *subState) moved() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.closed && len(st.names[clShard]) > 0 {
		st.placeShards()
	}
}
