// Package admin is what `shoal cluster` does: create a cluster, check it, add and
// remove nodes, reshard and rebalance. It works like `redis-cli --cluster` and prints
// the same report lines operators grep for ("[OK] All 16384 slots covered."), but it
// reads the layout from the sentinel group (the single source of truth) and changes
// it there, in batches: one Raft commit moves a batch of slots where redis-cli needs
// two per slot. Data moves between nodes with MIGRATE, as with redis-cli.
//
// Every operation talks RESP to sentinels (package sentinelapi) and data nodes
// (go-redis); nothing here runs inside a server.
package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// Admin is one `shoal cluster` session. Close it when done.
type Admin struct {
	sentinels []string
	out       io.Writer
	progress  Progress
	// Timeout bounds each step that waits on the cluster (a commit reaching every
	// node, a MIGRATE batch); 30 s by default.
	Timeout time.Duration
	clients map[string]*redis.Client
	// seen is the highest topology epoch this session has read or committed: what it
	// reads next is never older (a sentinel that has not applied the latest commits
	// yet may answer first).
	seen uint64
}

// New starts a session against the sentinels at the given RESP addresses, printing
// its report to out and its progress on long operations to progress (nil: none).
func New(sentinels []string, out io.Writer, progress Progress) *Admin {
	if progress == nil {
		progress = noProgress{}
	}
	return &Admin{sentinels: sentinels, out: out, progress: progress, Timeout: 30 * time.Second,
		clients: map[string]*redis.Client{}}
}

// Close closes the session's connections.
func (a *Admin) Close() {
	for _, c := range a.clients {
		c.Close()
	}
}

// ErrCheck is returned when an operation finished but the cluster is not healthy: the
// report says what is wrong.
var ErrCheck = errors.New("the cluster check found problems (see above)")

func (a *Admin) printf(format string, args ...any) { fmt.Fprintf(a.out, format, args...) }

func (a *Admin) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.Timeout)
}

// topology is the layout the sentinel group has committed, never older than one this
// session has read or committed before: answers of an older epoch (a follower behind,
// or a new leader still applying) are asked again until a.Timeout.
func (a *Admin) topology() (*slots.Topology, error) {
	ctx, cancel := a.ctx()
	defer cancel()
	for {
		top, err := sentinelapi.Topology(ctx, a.sentinels)
		if err != nil {
			return nil, fmt.Errorf("reading the topology from the sentinels %s: %w", strings.Join(a.sentinels, ","), err)
		}
		if top.Epoch() >= a.seen {
			a.seen = top.Epoch()
			return top, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading the topology from the sentinels %s: they answer epoch %d, older than epoch %d seen before",
				strings.Join(a.sentinels, ","), top.Epoch(), a.seen)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// propose commits ch and returns the new epoch.
func (a *Admin) propose(ch slots.Change) (uint64, error) {
	ctx, cancel := a.ctx()
	defer cancel()
	epoch, err := sentinelapi.Propose(ctx, a.sentinels, ch)
	if err != nil {
		return 0, fmt.Errorf("committing %s: %w", ch.JSON(), err)
	}
	a.seen = max(a.seen, epoch)
	return epoch, nil
}

// client is a connection pool to the data node at addr.
func (a *Admin) client(addr string) *redis.Client {
	c, ok := a.clients[addr]
	if !ok {
		c = redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			ReadTimeout: a.Timeout + 5*time.Second, PoolSize: 4})
		a.clients[addr] = c
	}
	return c
}

// endpoint is the client address of a node as the topology announces it.
func endpoint(n slots.Node) string { return net.JoinHostPort(n.IP, strconv.Itoa(n.Port)) }

// nodeChange sends the node at addr a command that commits a change through the
// sentinels and answers once the node follows it (CLUSTER ADDSLOTSRANGE, REPLICATE,
// MEET), then reads the epoch the node follows: the session's later reads of the
// topology are never older than the change (a sentinel that answers first may not
// have applied it yet).
func (a *Admin) nodeChange(ctx context.Context, addr string, args ...any) error {
	if err := a.client(addr).Do(ctx, args...).Err(); err != nil {
		return err
	}
	e, err := a.nodeEpoch(ctx, addr)
	if err != nil {
		return err
	}
	a.seen = max(a.seen, e)
	return nil
}

// nodeEpoch is the topology epoch the node at addr follows. A node loading its data
// set answers -LOADING, as Redis does (a replica just made loads its primary's full
// sync): it is asked again until it is done or ctx ends.
func (a *Admin) nodeEpoch(ctx context.Context, addr string) (uint64, error) {
	info, err := a.client(addr).ClusterInfo(ctx).Result()
	for err != nil && strings.HasPrefix(err.Error(), "LOADING ") && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		info, err = a.client(addr).ClusterInfo(ctx).Result()
	}
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "cluster_current_epoch:"); ok {
			return strconv.ParseUint(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no cluster_current_epoch in CLUSTER INFO")
}

// waitEpoch waits until every node at addrs follows epoch or a later one; it returns
// the nodes that did not within the session's timeout, each with the epoch it follows
// (or why it could not be asked).
func (a *Admin) waitEpoch(addrs []string, epoch uint64) []string {
	ctx, cancel := a.ctx()
	defer cancel()
	for {
		var behind []string
		for _, addr := range addrs {
			if e, err := a.nodeEpoch(ctx, addr); err != nil {
				behind = append(behind, fmt.Sprintf("%s (%v)", addr, err))
			} else if e < epoch {
				behind = append(behind, fmt.Sprintf("%s (at epoch %d)", addr, e))
			}
		}
		if len(behind) == 0 || ctx.Err() != nil {
			return behind
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitLease waits (up to the session's timeout) until the node at addr holds its
// write lease, as INFO cluster says: a primary just made (a new shard) takes writes,
// and so the keys migrated to it, only once the sentinels granted it one. A node that
// does not say goes on at once.
func (a *Admin) waitLease(addr string) {
	ctx, cancel := a.ctx()
	defer cancel()
	for ctx.Err() == nil {
		info, err := a.client(addr).Info(ctx, "cluster").Result()
		if err != nil || !strings.Contains(info, "cluster_write_lease:0") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitAll waits until every node of the topology follows it, or fails naming those
// that do not.
func (a *Admin) waitAll(top *slots.Topology) error {
	var addrs []string
	for _, n := range top.Nodes() {
		addrs = append(addrs, endpoint(n))
	}
	if behind := a.waitEpoch(addrs, top.Epoch()); len(behind) > 0 {
		return fmt.Errorf("the change was committed (epoch %d) but these nodes do not follow it: %s",
			top.Epoch(), strings.Join(behind, ", "))
	}
	return nil
}

// findNode finds a node of top by ID, unique ID prefix or client address.
func findNode(top *slots.Topology, ref string) (slots.Node, error) {
	var found []slots.Node
	for _, n := range top.Nodes() {
		if n.ID == ref || endpoint(n) == ref {
			return n, nil
		}
		if len(ref) >= 4 && strings.HasPrefix(n.ID, ref) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return slots.Node{}, fmt.Errorf("no node %s in the cluster", ref)
	}
	return slots.Node{}, fmt.Errorf("node ID prefix %s is ambiguous", ref)
}

// primaries are the shards' primaries, and the nodes in no shard (primaries without
// slots, as Redis sees them), with their nodes; a shardless one has a zero shard.
func primaries(top *slots.Topology) []primary {
	var out []primary
	for _, sh := range top.Shards() {
		if n, ok := top.Node(sh.Primary); ok {
			out = append(out, primary{shard: sh, node: n})
		}
	}
	for _, n := range top.Nodes() {
		if _, ok := top.ShardOf(n.ID); !ok {
			out = append(out, primary{node: n})
		}
	}
	return out
}

// ensureShards gives each of ps that has no shard one of its own (as its primary) and
// returns ps as the topology has them afterwards.
func (a *Admin) ensureShards(ps []primary) ([]primary, error) {
	changed := false
	for _, p := range ps {
		if p.shard.ID != "" {
			continue
		}
		var id [20]byte
		if _, err := rand.Read(id[:]); err != nil {
			return nil, err
		}
		if _, err := a.propose(slots.Change{Op: slots.OpAddShard, Shard: hex.EncodeToString(id[:]), Primary: p.node.ID}); err != nil {
			return nil, err
		}
		changed = true
	}
	if !changed {
		return ps, nil
	}
	top, err := a.topology()
	if err != nil {
		return nil, err
	}
	out := make([]primary, len(ps))
	for i, p := range ps {
		out[i] = primaryOf(top, p.node.ID)
	}
	return out, nil
}

func primaryOf(top *slots.Topology, id string) primary {
	sh, _ := top.ShardOf(id)
	n, _ := top.Node(id)
	return primary{shard: sh, node: n}
}

type primary struct {
	shard slots.Shard
	node  slots.Node
}

// Progress shows how far a long operation is.
type Progress interface {
	// Start begins an operation of total units, described by what.
	Start(what string, total int)
	// Add records n more units done.
	Add(n int)
	// Finish ends the operation.
	Finish()
}

type noProgress struct{}

func (noProgress) Start(string, int) {}
func (noProgress) Add(int)           {}
func (noProgress) Finish()           {}
