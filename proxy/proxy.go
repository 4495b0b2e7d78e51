package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
)

// Config configures a proxy.
type Config struct {
	Addr  string   // where clients connect, "127.0.0.1:6380" ("…:0": any port)
	Seeds []string // data nodes of the cluster ("host:port"), to learn the slots from
}

// Proxy is a running proxy. This first version gives each client its own connection
// to each node it talks to, and handles one request at a time per client (a
// client's pipeline is answered in order).
type Proxy struct {
	cfg   Config
	ln    net.Listener
	owner atomic.Pointer[[slots.Count]string] // slot → its primary's address ("": none)

	refreshMu sync.Mutex
	refreshed time.Time
	ids       atomic.Int64 // client IDs given

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
	stop  chan struct{}
}

// Start listens on cfg.Addr and starts serving; the slots are read from the seeds
// (again every second and after each MOVED).
func Start(cfg Config) (*Proxy, error) {
	if len(cfg.Seeds) == 0 {
		return nil, errors.New("proxy: no cluster node given")
	}
	p := &Proxy{cfg: cfg, conns: map[net.Conn]struct{}{}, stop: make(chan struct{})}
	p.owner.Store(new([slots.Count]string))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	p.ln = ln
	p.refresh()
	p.wg.Add(2)
	go p.serve()
	go p.refreshLoop()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy and closes every client connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil
	}
	p.done = true
	close(p.stop)
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) refreshLoop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case <-time.After(time.Second):
		}
		p.refresh()
	}
}

// refresh reads the slots' owners from the first node that answers CLUSTER SLOTS
// (nodes it learned first, then the seeds), at most every 50 ms.
func (p *Proxy) refresh() {
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	if time.Since(p.refreshed) < 50*time.Millisecond {
		return
	}
	p.refreshed = time.Now()
	seen := map[string]bool{}
	var addrs []string
	for _, a := range append(p.primaries(), p.cfg.Seeds...) {
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	for _, addr := range addrs {
		cl := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			PoolSize: 1, DialTimeout: time.Second, ReadTimeout: time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		rs, err := cl.ClusterSlots(ctx).Result()
		cancel()
		cl.Close()
		if err != nil || len(rs) == 0 {
			continue
		}
		owner := new([slots.Count]string)
		for _, r := range rs {
			if len(r.Nodes) == 0 {
				continue
			}
			for s := max(r.Start, 0); s <= min(r.End, slots.Count-1); s++ {
				owner[s] = r.Nodes[0].Addr
			}
		}
		p.owner.Store(owner)
		return
	}
}

// primaries lists the distinct primaries of the current slot map.
func (p *Proxy) primaries() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range p.owner.Load() {
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.done {
			p.mu.Unlock()
			conn.Close()
			return
		}
		p.conns[conn] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			s := &session{p: p, conn: conn, backends: map[string]*backend{}, id: p.ids.Add(1)}
			s.w.Proto = 2
			s.loop()
			s.close()
			p.mu.Lock()
			delete(p.conns, conn)
			p.mu.Unlock()
		}()
	}
}

// session is one client. The requests of a client's pipeline are sent on to the
// nodes as they are read, and their replies collected in order once the pipeline (or
// a batch of it) is read: a pipeline costs one round trip per node, not one per
// request.
type session struct {
	p        *Proxy
	conn     net.Conn
	w        resp.Writer // replies not yet written
	backends map[string]*backend
	batch    []pending // requests sent on, their replies not read yet
	batchLen int       // their bytes
	id       int64     // CLIENT ID
	name     string    // CLIENT SETNAME
}

// pending is a request sent on to a node.
type pending struct {
	slot int
	raw  []byte // the request (a copy), to send again after a redirection or an error
	b    *backend
}

// A batch is settled (its replies read) past maxBatch requests or maxBatchBytes
// bytes: small enough that writing it never waits for the node to read (its socket
// buffer takes it), whatever the node is doing with its replies.
const (
	maxBatch      = 128
	maxBatchBytes = 64 << 10
)

// backend is a session's connection to one node.
type backend struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	broken bool
}

func (s *session) close() {
	s.conn.Close()
	for _, b := range s.backends {
		b.conn.Close()
	}
}

func (s *session) loop() {
	rd := resp.NewReader(s.conn, resp.Limits{})
	for {
		req, ok, err := rd.Next()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				s.w.Error("ERR " + pe.Msg)
				s.conn.Write(s.w.B)
			}
			return
		}
		if !ok {
			s.settle()
			if s.w.Len() > 0 {
				if _, err := s.conn.Write(s.w.B); err != nil {
					return
				}
				s.w.Reset()
			}
			if err := rd.Fill(); err != nil {
				return
			}
			continue
		}
		if s.request(req) {
			s.settle()
			s.conn.Write(s.w.B)
			return
		}
	}
}

// send passes a request for slot on to its node without waiting for the reply
// (settle reads it); a request too big for a batch, or one that cannot be sent, goes
// the one-at-a-time way.
func (s *session) send(slot int, raw []byte) {
	addr := s.addrFor(slot)
	if addr == "" || len(raw) > maxBatchBytes {
		s.settle()
		s.forward(slot, raw)
		return
	}
	b, err := s.backend(addr)
	if err != nil {
		s.settle()
		s.forward(slot, raw)
		return
	}
	if s.batchLen+len(raw) > maxBatchBytes || len(s.batch) >= maxBatch {
		s.settle()
	}
	b.bw.Write(raw)
	s.batch = append(s.batch, pending{slot: slot, raw: append([]byte(nil), raw...), b: b})
	s.batchLen += len(raw)
}

// settle sends the batch's requests and appends their replies to the client's, in
// order; a redirected request, or one whose node failed, is sent again the
// one-at-a-time way.
func (s *session) settle() {
	if len(s.batch) == 0 {
		return
	}
	for _, p := range s.batch {
		if !p.b.broken && p.b.bw.Buffered() > 0 {
			if err := p.b.bw.Flush(); err != nil {
				s.breakBackend(p.b)
			}
		}
	}
	// Every reply is read before any request is sent again: a connection must have
	// no reply outstanding when the one-at-a-time way uses it.
	replies := make([][]byte, len(s.batch))
	for i, p := range s.batch {
		if p.b.broken {
			continue
		}
		reply, err := readReply(p.b.br, nil)
		if err != nil {
			s.breakBackend(p.b)
			continue
		}
		replies[i] = reply
	}
	for i, p := range s.batch {
		reply := replies[i]
		_, moved := redirect(reply, "-MOVED ")
		_, ask := redirect(reply, "-ASK ")
		if reply == nil || moved || ask {
			s.forward(p.slot, p.raw)
			continue
		}
		s.w.Raw(reply)
	}
	clear(s.batch)
	s.batch, s.batchLen = s.batch[:0], 0
}

// breakBackend closes a connection that failed; the requests still waiting on it are
// sent again on a new one.
func (s *session) breakBackend(b *backend) {
	b.broken = true
	b.conn.Close()
	for addr, x := range s.backends {
		if x == b {
			delete(s.backends, addr)
		}
	}
}

// request answers one request; it reports QUIT.
func (s *session) request(req resp.Request) (quit bool) {
	args := req.Args
	name := strings.ToLower(string(args[0]))
	if local[name] {
		s.settle() // the replies before it first
	}
	switch name {
	case "quit":
		s.w.OK()
		return true
	case "ping":
		if len(args) > 2 {
			s.w.Error("ERR wrong number of arguments for 'ping' command")
		} else if len(args) == 2 {
			s.w.Bulk(args[1])
		} else {
			s.w.Simple("PONG")
		}
		return false
	case "echo":
		if len(args) != 2 {
			s.w.Error("ERR wrong number of arguments for 'echo' command")
		} else {
			s.w.Bulk(args[1])
		}
		return false
	case "select":
		if len(args) != 2 {
			s.w.Error("ERR wrong number of arguments for 'select' command")
		} else if string(args[1]) == "0" {
			s.w.OK()
		} else {
			s.w.Error("ERR SELECT is not allowed in cluster mode")
		}
		return false
	case "hello":
		s.hello(args)
		return false
	case "client":
		s.client(args)
		return false
	case "multi", "exec", "discard", "watch", "unwatch", "subscribe", "psubscribe", "ssubscribe",
		"unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "reset":
		s.w.Error(fmt.Sprintf("ERR '%s' is not supported through shoal proxy yet", name))
		return false
	}
	full := name
	if len(args) > 1 {
		full = name + "|" + strings.ToLower(string(args[1]))
	}
	for _, n := range []string{name, full} {
		if kind := fanouts[n]; kind != "" {
			s.settle()
			s.fanout(kind, req.Raw)
			return false
		}
	}
	slot, err := s.slotOf(args)
	if err != "" {
		s.settle()
		if splits[name] != 0 {
			s.split(name, args)
			return false
		}
		s.w.Error(err)
		return false
	}
	s.send(slot, req.Raw)
	return false
}

// client answers CLIENT SETNAME / GETNAME / ID / SETINFO for the client's own
// connection (the nodes see the proxy's); other subcommands go to a node.
func (s *session) client(args [][]byte) {
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(string(args[1]))
	}
	switch {
	case sub == "setname" && len(args) == 3:
		if strings.ContainsAny(string(args[2]), " \n") {
			s.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		s.name = string(args[2])
		s.w.OK()
	case sub == "getname" && len(args) == 2:
		if s.name == "" {
			s.w.Null()
			return
		}
		s.w.BulkString(s.name)
	case sub == "id" && len(args) == 2:
		s.w.Int(s.id)
	case sub == "setinfo" && len(args) == 4:
		s.w.OK()
	default:
		s.send(-1, command(args))
	}
}

// local are the commands the proxy answers itself.
var local = map[string]bool{"client": true, "quit": true, "ping": true, "echo": true, "select": true, "hello": true, "multi": true,
	"exec": true, "discard": true, "watch": true, "unwatch": true, "subscribe": true, "psubscribe": true,
	"ssubscribe": true, "unsubscribe": true, "punsubscribe": true, "sunsubscribe": true, "monitor": true, "reset": true}

// hello answers HELLO [protover [SETNAME name]] as the nodes do, naming the proxy.
// The session's connections to the nodes then speak the protocol chosen (replies pass
// through as they are).
func (s *session) hello(args [][]byte) {
	w := &s.w
	proto := w.Proto
	if len(args) > 1 {
		switch string(args[1]) {
		case "2", "3":
			proto = int(args[1][0] - '0')
		default:
			w.Error("NOPROTO unsupported protocol version")
			return
		}
		for i := 2; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "SETNAME") && i+1 < len(args) {
				i++
				continue
			}
			w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if proto != w.Proto {
		for addr := range s.backends {
			s.drop(addr) // (dialed again in the new protocol)
		}
		w.Proto = proto
	}
	w.Map(7)
	for _, kv := range [][2]string{{"server", "redis"}, {"version", "7.0.15"}} {
		w.BulkString(kv[0])
		w.BulkString(kv[1])
	}
	w.BulkString("proto")
	w.Int(int64(w.Proto))
	w.BulkString("id")
	w.Int(1)
	w.BulkString("mode")
	w.BulkString("proxy")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// slotOf is the slot every key of the request hashes to (-1 for a request without
// keys), or the error to answer (keys in different slots).
func (s *session) slotOf(args [][]byte) (int, string) {
	cmd := spec.Reference().ByName[strings.ToLower(string(args[0]))]
	if cmd == nil {
		return -1, "" // the node answers unknown commands itself
	}
	if cmd.Subs != nil && len(args) > 1 {
		if sub := cmd.Subs[strings.ToLower(string(args[1]))]; sub != nil {
			cmd = sub
		}
	}
	slot := -1
	cross := false
	cmd.EachKey(args, func(i int, _ *spec.KeySpec) {
		k := slots.KeySlot(args[i])
		if slot >= 0 && k != slot {
			cross = true
		}
		slot = k
	})
	if cross {
		return 0, "CROSSSLOT Keys in request don't hash to the same slot"
	}
	return slot, ""
}

// forward sends a request to the primary of slot (any primary for -1) and passes its
// reply on, following MOVED (the slot map is read again) and ASK.
func (s *session) forward(slot int, raw []byte) { s.w.Raw(s.exchange(slot, raw)) }

// exchange is forward's work: it returns the reply (an error reply when no node
// answers).
func (s *session) exchange(slot int, raw []byte) []byte {
	addr := s.addrFor(slot)
	asking := false
	for try := 0; ; try++ {
		if addr == "" {
			return []byte("-CLUSTERDOWN Hash slot not served\r\n")
		}
		reply, err := s.roundTrip(addr, raw, asking)
		if err != nil {
			s.drop(addr)
			if try < 2 {
				s.p.refresh()
				addr = s.addrFor(slot)
				continue
			}
			return []byte("-CLUSTERDOWN The cluster is down\r\n")
		}
		if try < 5 && len(reply) > 0 && reply[0] == '-' {
			if target, ok := redirect(reply, "-MOVED "); ok {
				go s.p.refresh()
				addr, asking = target, false
				continue
			}
			if target, ok := redirect(reply, "-ASK "); ok {
				addr, asking = target, true
				continue
			}
		}
		return reply
	}
}

// redirect reads the address of a "-MOVED <slot> <addr>" or "-ASK …" reply.
func redirect(reply []byte, prefix string) (string, bool) {
	line, ok := strings.CutPrefix(strings.TrimRight(string(reply), "\r\n"), prefix)
	if !ok {
		return "", false
	}
	_, addr, ok := strings.Cut(line, " ")
	return addr, ok && addr != ""
}

// addrFor is the primary of slot, or any primary for -1.
func (s *session) addrFor(slot int) string {
	owner := s.p.owner.Load()
	if slot >= 0 {
		return owner[slot]
	}
	ps := s.p.primaries()
	if len(ps) == 0 {
		return ""
	}
	return ps[rand.IntN(len(ps))]
}

// roundTrip sends raw (after ASKING when asking) on the session's connection to addr
// and reads the reply.
func (s *session) roundTrip(addr string, raw []byte, asking bool) ([]byte, error) {
	b, err := s.backend(addr)
	if err != nil {
		return nil, err
	}
	if asking {
		b.bw.WriteString("*1\r\n$6\r\nASKING\r\n")
	}
	b.bw.Write(raw)
	if err := b.bw.Flush(); err != nil {
		return nil, err
	}
	if asking {
		if _, err := readReply(b.br, nil); err != nil {
			return nil, err
		}
	}
	return readReply(b.br, nil)
}

// backend is the session's connection to addr, dialed on first use.
func (s *session) backend(addr string) (*backend, error) {
	if b := s.backends[addr]; b != nil {
		return b, nil
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	b := &backend{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), bw: bufio.NewWriterSize(conn, 16<<10)}
	if s.w.Proto == 3 {
		b.bw.WriteString("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
		err := b.bw.Flush()
		var reply []byte
		if err == nil {
			reply, err = readReply(b.br, nil)
		}
		if err != nil || len(reply) == 0 || reply[0] == '-' {
			conn.Close()
			return nil, fmt.Errorf("proxy: HELLO 3 to %s: %v %q", addr, err, reply)
		}
	}
	s.backends[addr] = b
	return b, nil
}

// drop closes the session's connection to addr.
func (s *session) drop(addr string) {
	if b := s.backends[addr]; b != nil {
		s.breakBackend(b)
	}
}
