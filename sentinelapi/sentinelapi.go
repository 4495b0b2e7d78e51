// Package sentinelapi is the client side of the sentinel group's RESP API, shared by
// everything that talks to sentinels: data nodes (CLUSTER ADDSLOTS and friends are
// proposals), the `shoal cluster` admin commands and a joining sentinel. Each call
// takes the RESP addresses of the sentinels known to the caller and follows
// "-NOTLEADER <addr>" to the Raft leader where the command needs it.
//
// The server side is failover.Sentinel; the commands are:
//
//	SENTINEL MYID | TOPOLOGY | LEADER | BUS
//	SENTINEL PROPOSE <change-json> [WITHTOPOLOGY]
//	                                 → the new epoch (WITHTOPOLOGY: [epoch, the
//	                                   topology's wire form, at that epoch or later])
//	SENTINEL JOIN <id> <raft-addr>   → the leader's gossip address
//	SENTINEL FORGET <id>             → OK (the member is out of the group)
//	SENTINEL LEASE <node-id>         → [lease-ms, voter count, granter ID, [voter IDs]]
//	                                   (a primary's write lease)
package sentinelapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
)

// ErrNoSentinel is returned when no address was given.
var ErrNoSentinel = errors.New("no sentinel address given")

// clients holds one small connection pool per sentinel address, for the life of the
// process (a cluster has a handful of sentinels).
var clients sync.Map // addr → *redis.Client

// DialFunc dials a connection, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

type dialKey struct{}

type dialer struct {
	key  string
	dial DialFunc
}

// WithDial returns ctx carrying a dialer: the calls made with it reach the sentinels
// through dial, on connections of their own kept under key (one key per caller: a
// test's processes sharing one Go process each dial through their own fault links).
// A nil dial leaves ctx as it is.
func WithDial(ctx context.Context, key string, dial DialFunc) context.Context {
	if dial == nil {
		return ctx
	}
	return context.WithValue(ctx, dialKey{}, dialer{key, dial})
}

// Do runs SENTINEL args… on the sentinel at addr.
func Do(ctx context.Context, addr string, args ...any) *redis.Cmd {
	key, d := addr, dialer{}
	if v, ok := ctx.Value(dialKey{}).(dialer); ok {
		key, d = v.key+" "+addr, v
	}
	c, ok := clients.Load(key)
	if !ok {
		// A sentinel answers a proposal within its own 10 s limit. The caller's context
		// bounds each call (a lease request to a sentinel behind a partition must not
		// wait out the read timeout).
		c, _ = clients.LoadOrStore(key, redis.NewClient(&redis.Options{Addr: addr, Protocol: 2,
			DisableIdentity: true, MaxRetries: -1, PoolSize: 4, ConnMaxIdleTime: time.Minute,
			ReadTimeout: 15 * time.Second, ContextTimeoutEnabled: true, Dialer: d.dial}))
	}
	return c.(*redis.Client).Do(ctx, append([]any{"SENTINEL"}, args...)...)
}

// Leader runs SENTINEL args… on the group's leader: it starts at addrs[0], follows
// NOTLEADER to the leader it names, and while the group has none (an election) tries
// the addresses in turn until ctx ends; a sentinel it cannot connect to is skipped.
// Errors other than NOTLEADER are returned as the sentinel sent them; a failure after
// the command was sent is returned too, never retried (it may have been carried out).
func Leader(ctx context.Context, addrs []string, args ...any) (any, error) {
	if len(addrs) == 0 {
		return nil, ErrNoSentinel
	}
	addr := addrs[0]
	dials := 0 // connections refused so far (an election's waits do not count)
	for try := 1; ; try++ {
		v, err := Do(ctx, addr, args...).Result()
		if err == nil {
			return v, nil
		}
		next := addrs[try%len(addrs)]
		var rerr redis.Error
		switch {
		case ctx.Err() != nil:
			return nil, err
		case !errors.As(err, &rerr):
			// Unreachable: try the next sentinel, a few rounds. Any other failure (a
			// timeout, a dropped connection) leaves the outcome unknown — the command
			// may have been carried out — so it is not sent again.
			var op *net.OpError
			if dials++; !errors.As(err, &op) || op.Op != "dial" || dials >= 3*len(addrs) {
				return nil, err
			}
			time.Sleep(100 * time.Millisecond)
		case !strings.HasPrefix(err.Error(), "NOTLEADER"):
			return nil, err
		default:
			if leader := strings.TrimSpace(strings.TrimPrefix(err.Error(), "NOTLEADER")); leader != "" {
				next = leader
				break
			}
			select { // an election: wait for a leader
			case <-ctx.Done():
				return nil, fmt.Errorf("no sentinel leader: %w", ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
		addr = next
	}
}

// Propose commits ch through the group and returns the epoch of the topology it made.
// The change gets a request ID (unless it has one), so that sending it again — to the
// next leader after an election cut the answer off — never applies it twice.
func Propose(ctx context.Context, addrs []string, ch slots.Change) (uint64, error) {
	v, err := propose(ctx, addrs, ch)
	if err != nil {
		return 0, err
	}
	epoch, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("SENTINEL PROPOSE answered %v", v)
	}
	return uint64(epoch), nil
}

// ProposeWithTopology is Propose that also returns the leader's topology once the
// change is applied (at its epoch or later), so that the proposer can follow it with
// no second call.
func ProposeWithTopology(ctx context.Context, addrs []string, ch slots.Change) (uint64, *slots.Topology, error) {
	v, err := propose(ctx, addrs, ch, "WITHTOPOLOGY")
	if err != nil {
		return 0, nil, err
	}
	a, _ := v.([]any)
	var epoch int64
	var wire string
	if len(a) == 2 {
		epoch, _ = a[0].(int64)
		wire, _ = a[1].(string)
	}
	top, err := slots.Decode([]byte(wire))
	if err != nil || top.Epoch() < uint64(epoch) || epoch <= 0 {
		return 0, nil, fmt.Errorf("SENTINEL PROPOSE WITHTOPOLOGY answered %.100v", v)
	}
	return uint64(epoch), top, nil
}

// propose sends SENTINEL PROPOSE ch [opts…] to the leader, ch with a request ID.
func propose(ctx context.Context, addrs []string, ch slots.Change, opts ...any) (any, error) {
	if ch.Req == "" {
		var id [12]byte
		if _, err := rand.Read(id[:]); err != nil {
			return nil, err
		}
		ch.Req = hex.EncodeToString(id[:])
	}
	return Leader(ctx, addrs, append([]any{"PROPOSE", string(ch.JSON())}, opts...)...)
}

// IsRefusal reports whether err is the sentinels' definite answer (an error reply
// other than NOTLEADER: the change was refused), not a failure that leaves the outcome
// unknown.
func IsRefusal(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && !strings.HasPrefix(err.Error(), "NOTLEADER")
}

// Join adds the sentinel id (Raft address raftAddr) to the group and returns the
// leader's gossip address.
func Join(ctx context.Context, addrs []string, id, raftAddr string) (string, error) {
	v, err := Leader(ctx, addrs, "JOIN", id, raftAddr)
	if err != nil {
		return "", err
	}
	bus, _ := v.(string)
	return bus, nil
}

// Forget takes the sentinel id out of the group.
func Forget(ctx context.Context, addrs []string, id string) error {
	_, err := Leader(ctx, addrs, "FORGET", id)
	return err
}

// Topology reads the topology from every sentinel of addrs at once and returns the
// latest (highest epoch): a follower may not have applied the last commits yet, while
// the leader had applied a change before it answered its proposer. A sentinel slower
// than 100 ms after the first answer is not waited for (one that is down must not
// stall callers), so when the leader is that slow the result can be older than a
// change the caller saw committed: callers that need it at least as new compare
// epochs and ask again.
func Topology(ctx context.Context, addrs []string) (*slots.Topology, error) {
	if len(addrs) == 0 {
		return nil, ErrNoSentinel
	}
	type answer struct {
		top *slots.Topology
		err error
	}
	answers := make(chan answer, len(addrs))
	for _, addr := range addrs {
		go func() {
			b, err := Do(ctx, addr, "TOPOLOGY").Text()
			if err != nil {
				answers <- answer{err: err}
				return
			}
			top, err := slots.Decode([]byte(b))
			answers <- answer{top, err}
		}()
	}
	var best *slots.Topology
	var err error
	var grace <-chan time.Time // after the first answer, the others get a moment more
	for range addrs {
		var a answer
		select {
		case a = <-answers:
		case <-grace:
			return best, nil
		}
		switch {
		case a.err != nil:
			err = a.err
		case best == nil || a.top.Epoch() > best.Epoch():
			best = a.top
		}
		if best != nil && grace == nil {
			grace = time.After(100 * time.Millisecond)
		}
	}
	if best == nil {
		return nil, err
	}
	return best, nil
}

// Bus returns the gossip (cluster bus) address of the first of addrs that answers:
// what a data node is told to CLUSTER MEET.
func Bus(ctx context.Context, addrs []string) (string, error) {
	err := ErrNoSentinel
	for _, addr := range addrs {
		var bus string
		if bus, err = Do(ctx, addr, "BUS").Text(); err == nil {
			return bus, nil
		}
	}
	return "", err
}

// grants are the lease grants a primary gathered: who granted, the largest voter
// count reported and every voter set reported.
type grants struct {
	by     map[string]bool
	voters int64
	sets   [][]string
}

// add records a grant by sentinel id, which counts voters voters (set: their IDs,
// nil when it sent none).
func (g *grants) add(id string, voters int64, set []string) {
	g.by[id], g.voters = true, max(g.voters, voters)
	if set != nil {
		g.sets = append(g.sets, set)
	}
}

// majority reports whether the granters are a majority of the largest voter count
// and of every voter set reported.
func (g *grants) majority() bool {
	if int64(len(g.by)) < g.voters/2+1 {
		return false
	}
	for _, set := range g.sets {
		n := 0
		for _, v := range set {
			if g.by[v] {
				n++
			}
		}
		if n < len(set)/2+1 {
			return false
		}
	}
	return true
}

// Lease asks every sentinel of addrs at once for a write lease for node id and
// reports whether a majority of the group's voters granted one (as soon as they
// have), and its length. The granters must make a majority of every voter set the
// granters reported, not only of the largest count: a sentinel taken out of the group
// while cut off still counts itself in the old set, and with a current member it
// must not make a "majority". The caller counts the lease from before it called.
func Lease(ctx context.Context, addrs []string, id string) (time.Duration, bool) {
	type answer struct {
		d      time.Duration
		voters int64
		by     string   // the granter's ID ("" from a sentinel that sends none)
		set    []string // the voters it knows (nil: not sent)
	}
	answers := make(chan answer, len(addrs))
	for _, addr := range addrs {
		go func() {
			r, err := Do(ctx, addr, "LEASE", id).Slice()
			a := answer{by: addr}
			if err == nil && len(r) >= 2 {
				ms, _ := r[0].(int64)
				a.voters, _ = r[1].(int64)
				a.d = time.Duration(ms) * time.Millisecond
				if len(r) >= 4 {
					a.by, _ = r[2].(string)
					ids, _ := r[3].([]any)
					for _, v := range ids {
						s, _ := v.(string)
						a.set = append(a.set, s)
					}
				}
			}
			answers <- a
		}()
	}
	g := grants{by: map[string]bool{}}
	var d time.Duration
	for range addrs {
		a := <-answers
		if a.voters == 0 {
			continue
		}
		g.add(a.by, a.voters, a.set)
		if d == 0 || a.d < d {
			d = a.d
		}
		if g.majority() {
			return d, true
		}
	}
	return 0, false
}
