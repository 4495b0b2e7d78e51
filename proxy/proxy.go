package proxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/resp"
)

// Config configures a proxy.
type Config struct {
	Addr  string   // where clients connect, "127.0.0.1:6380" ("…:0": any port)
	Seeds []string // data nodes of the cluster ("host:port"), to learn the slots from

	// Links is the number of shared connections to each node (per protocol), 2 when 0.
	Links int
	// Timeout bounds a connection attempt to a node and the wait for a reply on a
	// shared connection (10 s when 0); blocking commands wait as long as they ask.
	Timeout time.Duration
	// User and Password, when Password is set, authenticate the proxy's connections
	// to the nodes (AUTH).
	User, Password string
	// Secret, when set, is the cluster secret: the proxy is then a gossip member
	// bound at GossipAddr ("127.0.0.1:0" when empty), joining the members at Join (the
	// nodes' cluster buses from CLUSTER NODES when empty), and follows every topology
	// the sentinels commit as it is pushed.
	Secret     string
	GossipAddr string
	Join       []string

	// ReadFrom is where read-only commands go: ReadPrimary (the default),
	// ReadReplicas (a replica of the slot's shard, the primary when it has none) or
	// ReadNearest (whichever of them answered fastest lately). Replicas may lag: a
	// client reading from them may not see its own latest writes.
	ReadFrom string

	// RequirePass, when set, is the password clients must give (AUTH or HELLO … AUTH,
	// as the default user) before anything else, as with requirepass.
	RequirePass string
	// MaxClients bounds the client connections (10000 when 0); past it a client gets
	// "ERR max number of clients reached" and is closed.
	MaxClients int
	// IdleTimeout closes a client idle that long (0: never), as timeout does; clients
	// in a blocking command or subscribed are not idle.
	IdleTimeout time.Duration

	// Faults, if set, carries the proxy's connections to the nodes and its gossip
	// (tests of partitions: internal/faults).
	Faults gossip.Faults
}

// mover is a session's state that follows the slot map (subscriptions, tracking).
type mover interface{ moved() }

// Read policies (Config.ReadFrom).
const (
	ReadPrimary  = "primary"
	ReadReplicas = "replicas"
	ReadNearest  = "nearest"
)

// Proxy is a running proxy.
type Proxy struct {
	cfg   Config
	ln    net.Listener
	slots atomic.Pointer[slotMap]
	links links
	auth  []byte // the AUTH command for the nodes, or nil
	stats *stats

	gossip    *gossip.Gossip
	mapMu     sync.Mutex // installing a slot map
	refreshMu sync.Mutex
	refreshed time.Time
	ids       atomic.Int64 // client IDs given (and so connections accepted)
	commands  atomic.Int64 // requests read
	started   time.Time

	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	movers map[mover]struct{} // sessions' subscriptions and tracking, told of slot map changes
	done   bool
	stop   chan struct{}
}

// Start listens on cfg.Addr and starts serving; the slots are read from the seeds,
// then followed by gossip (with cfg.Secret) or read again every second and after
// each MOVED.
func Start(cfg Config) (*Proxy, error) {
	if len(cfg.Seeds) == 0 {
		return nil, errors.New("proxy: no cluster node given")
	}
	if cfg.Links <= 0 {
		cfg.Links = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	switch cfg.ReadFrom {
	case "":
		cfg.ReadFrom = ReadPrimary
	case ReadPrimary, ReadReplicas, ReadNearest:
	default:
		return nil, fmt.Errorf("proxy: read-from %q: want primary, replicas or nearest", cfg.ReadFrom)
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 10000
	}
	p := &Proxy{cfg: cfg, started: time.Now(), conns: map[net.Conn]struct{}{}, movers: map[mover]struct{}{}, stop: make(chan struct{})}
	if cfg.Password != "" {
		args := [][]byte{[]byte("AUTH"), []byte(cfg.Password)}
		if cfg.User != "" {
			args = [][]byte{args[0], []byte(cfg.User), args[1]}
		}
		p.auth = command(args)
	}
	p.stats = newStats()
	p.links = links{stats: p.stats, n: cfg.Links, auth: p.auth, readOnly: cfg.ReadFrom != ReadPrimary, timeout: cfg.Timeout,
		m: map[linkKey]*link{}, dial: p.dialer()}
	p.slots.Store(&slotMap{addrs: []string{""}})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	p.ln = ln
	p.refresh()
	if cfg.Secret != "" {
		if p.cfg.GossipAddr == "" {
			p.cfg.GossipAddr = "127.0.0.1:0"
		}
		if err := p.startGossip(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	p.wg.Add(2)
	go p.serve()
	go p.refreshLoop()
	if p.gossip != nil {
		p.wg.Add(1)
		go p.gossipLoop()
	}
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
	p.links.closeAll()
	if p.gossip != nil {
		p.gossip.Close()
	}
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		conn = resp.RawConn(conn) // the session's conn, which Close must reach (see rawConn.Close)
		p.mu.Lock()
		if p.done {
			p.mu.Unlock()
			conn.Close()
			return
		}
		if len(p.conns) >= p.cfg.MaxClients {
			p.mu.Unlock()
			p.stats.errorReply([]byte("-ERR"))
			conn.Write([]byte("-ERR max number of clients reached\r\n"))
			conn.Close()
			continue
		}
		p.conns[conn] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			s := newSession(p, conn, p.ids.Add(1))
			s.loop()
			s.close()
			p.mu.Lock()
			delete(p.conns, conn)
			p.mu.Unlock()
		}()
	}
}
