package faults

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Net is the network of a test cluster: named processes, the addresses each listens
// on, and a Link for every (dialing process, target address) pair, created on the
// first dial. Rules say which process's bytes reach which other's; every rule change
// sets each Link's mode from the rules of its two ends. Packets (gossip's UDP) are
// checked against the same rules by Endpoint.Drop.
type Net struct {
	mu      sync.Mutex                  // taken before any Link's (apply sets their modes under it)
	owner   map[string]string           // listening address → process
	links   map[[2]string]*Link         // {dialing process, target address} → its link
	blocked map[[2]string]bool          // {from, to}: from's bytes do not reach to
	slow    map[[2]string]time.Duration // {a, b} both orders: the link's delay
	reset   map[string]bool             // processes whose links drop every connection
	closed  bool
}

// NewNet returns an empty network where everything passes.
func NewNet() *Net {
	return &Net{owner: map[string]string{}, links: map[[2]string]*Link{}, blocked: map[[2]string]bool{},
		slow: map[[2]string]time.Duration{}, reset: map[string]bool{}}
}

// Add records that process name listens on addrs (host:port as others dial it).
func (n *Net) Add(name string, addrs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		n.owner[a] = name
	}
	n.apply()
}

// Endpoint is the network as process name sees it.
func (n *Net) Endpoint(name string) *Endpoint { return &Endpoint{net: n, name: name} }

// Block stops from's bytes reaching to (one way); Partition blocks both ways.
func (n *Net) Block(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blocked[[2]string{from, to}] = true
	n.apply()
}

// Partition cuts every process of a from every process of b, both ways.
func (n *Net) Partition(a, b []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range a {
		for _, y := range b {
			n.blocked[[2]string{x, y}] = true
			n.blocked[[2]string{y, x}] = true
		}
	}
	n.apply()
}

// Slow delays the bytes between a and b by d each way.
func (n *Net) Slow(a, b string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.slow[[2]string{a, b}], n.slow[[2]string{b, a}] = d, d
	n.apply()
}

// Drop closes every connection to and from name, and refuses new ones, until Heal
// (a crash as its peers see it).
func (n *Net) Drop(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reset[name] = true
	n.apply()
}

// Heal lifts every rule.
func (n *Net) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.blocked)
	clear(n.slow)
	clear(n.reset)
	n.apply()
}

// Rules describes the rules in force, sorted, separated by "; " (for logs).
func (n *Net) Rules() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for k := range n.blocked {
		out = append(out, fmt.Sprintf("%s -/-> %s", k[0], k[1]))
	}
	for k, d := range n.slow {
		out = append(out, fmt.Sprintf("%s ~%v~ %s", k[0], d, k[1]))
	}
	for k := range n.reset {
		out = append(out, fmt.Sprintf("%s dropped", k))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// Close closes every link.
func (n *Net) Close() {
	n.mu.Lock()
	n.closed = true
	links := make([]*Link, 0, len(n.links))
	for _, l := range n.links {
		links = append(links, l)
	}
	n.mu.Unlock()
	for _, l := range links {
		l.Close()
	}
}

// mode is what the rules make of a link from process from to process to (n.mu held).
func (n *Net) mode(from, to string) (Mode, time.Duration) {
	if n.reset[from] || n.reset[to] {
		return Reset, 0
	}
	fwd, back := n.blocked[[2]string{from, to}], n.blocked[[2]string{to, from}]
	switch {
	case fwd && back:
		return Blackhole, 0
	case back:
		return OneWay, 0
	case fwd:
		return OneWayBack, 0
	}
	if d := n.slow[[2]string{from, to}]; d > 0 {
		return Delay, d
	}
	return Pass, 0
}

// apply sets every link's mode from the rules (n.mu held).
func (n *Net) apply() {
	for k, l := range n.links {
		m, d := n.mode(k[0], n.owner[k[1]])
		if l.Mode() != m || m == Delay {
			l.Set(m, d)
		}
	}
}

// link returns from's link to addr, started on first use.
func (n *Net) link(from, addr string) (*Link, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	k := [2]string{from, addr}
	if l, ok := n.links[k]; ok {
		return l, nil
	}
	l, err := Listen("127.0.0.1:0", addr)
	if err != nil {
		return nil, err
	}
	if m, d := n.mode(from, n.owner[addr]); m != Pass {
		l.Set(m, d)
	}
	n.links[k] = l
	return l, nil
}

// Endpoint is one process's view of a Net: it dials through its own links and
// drops the packets the rules say are lost.
type Endpoint struct {
	net  *Net
	name string
}

// Dial connects to addr through the process's link to it.
func (e *Endpoint) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l, err := e.net.link(e.name, addr)
	if err != nil {
		return nil, err
	}
	if m := l.Mode(); m == Pass || m == Delay {
		// A target that does not listen refuses the dial, as it would with no link
		// between: the link accepts first and could only close the connection then —
		// an EOF, after which a client cannot know whether its command ran.
		probe, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		probe.Close()
	}
	return (&net.Dialer{}).DialContext(ctx, network, l.Addr())
}

// Drop reports whether a packet between the process and the process listening on
// addr is lost: one it sends there (outbound) or one it received from there.
func (e *Endpoint) Drop(addr string, outbound bool) bool {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	peer, ok := n.owner[addr]
	if !ok {
		return false
	}
	if n.reset[e.name] || n.reset[peer] {
		return true
	}
	if outbound {
		return n.blocked[[2]string{e.name, peer}]
	}
	return n.blocked[[2]string{peer, e.name}]
}
