package proxy

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
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
}

// Proxy is a running proxy.
type Proxy struct {
	cfg   Config
	ln    net.Listener
	slots atomic.Pointer[slotMap]
	links links
	auth  []byte // the AUTH command for the nodes, or nil

	refreshMu sync.Mutex
	refreshed time.Time
	ids       atomic.Int64 // client IDs given

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	subs  map[*subState]struct{} // sessions with subscriptions
	done  bool
	stop  chan struct{}
}

// Start listens on cfg.Addr and starts serving; the slots are read from the seeds
// (again every second and after each MOVED).
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
	p := &Proxy{cfg: cfg, conns: map[net.Conn]struct{}{}, subs: map[*subState]struct{}{}, stop: make(chan struct{})}
	if cfg.Password != "" {
		args := [][]byte{[]byte("AUTH"), []byte(cfg.Password)}
		if cfg.User != "" {
			args = [][]byte{args[0], []byte(cfg.User), args[1]}
		}
		p.auth = command(args)
	}
	p.links = links{n: cfg.Links, auth: p.auth, timeout: cfg.Timeout, m: map[linkKey]*link{}}
	p.slots.Store(&slotMap{addrs: []string{""}})
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
	p.links.closeAll()
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
			PoolSize: 1, DialTimeout: time.Second, ReadTimeout: time.Second, Username: p.cfg.User, Password: p.cfg.Password})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		rs, err := cl.ClusterSlots(ctx).Result()
		cancel()
		cl.Close()
		if err != nil || len(rs) == 0 {
			continue
		}
		m := &slotMap{addrs: []string{""}}
		index := map[string]uint16{}
		for _, r := range rs {
			if len(r.Nodes) == 0 {
				continue
			}
			addr := r.Nodes[0].Addr
			i, ok := index[addr]
			if !ok {
				i = uint16(len(m.addrs))
				index[addr] = i
				m.addrs = append(m.addrs, addr)
				m.primaries = append(m.primaries, addr)
			}
			for s := max(r.Start, 0); s <= min(r.End, slots.Count-1); s++ {
				m.owner[s] = i
			}
		}
		sort.Strings(m.primaries)
		if old := p.slots.Swap(m); !old.same(m) {
			p.mu.Lock()
			for st := range p.subs {
				go st.moved()
			}
			p.mu.Unlock()
		}
		return
	}
}

// Owner is the address of slot's primary as the proxy knows it ("": none).
func (p *Proxy) Owner(slot int) string { return p.addrFor(slot) }

// addrFor is the primary of slot, or any primary for -1.
func (p *Proxy) addrFor(slot int) string {
	m := p.slots.Load()
	if slot >= 0 {
		return m.addrs[m.owner[slot]]
	}
	ps := m.primaries
	if len(ps) == 0 {
		return ""
	}
	return ps[rand.IntN(len(ps))]
}

// slotMap is the cluster's slots as the proxy last read them.
type slotMap struct {
	owner     [slots.Count]uint16 // slot → its primary, an index into addrs (0: none)
	addrs     []string            // "", then the primaries' addresses
	primaries []string            // the distinct primaries, sorted
}

// same reports whether m and o give every slot the same primary.
func (m *slotMap) same(o *slotMap) bool {
	for s := range m.owner {
		if m.addrs[m.owner[s]] != o.addrs[o.owner[s]] {
			return false
		}
	}
	return true
}

// primaries lists the distinct primaries of the current slot map (not to be
// modified).
func (p *Proxy) primaries() []string { return p.slots.Load().primaries }

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
			s := newSession(p, conn, p.ids.Add(1))
			s.loop()
			s.close()
			p.mu.Lock()
			delete(p.conns, conn)
			p.mu.Unlock()
		}()
	}
}
