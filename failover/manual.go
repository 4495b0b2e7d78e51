package failover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// Manual failover (CLUSTER FAILOVER on a replica, shoal cluster failover, SENTINEL
// FAILOVER), run by the leader:
//
//   - graceful (the default): the primary's writes are paused (CLIENT PAUSE WRITE,
//     which returns once no write is running), the replica catches up to the
//     primary's offset, the replica is committed as primary, and the old primary is
//     unpaused once it follows the new topology — its held writes are then
//     redirected (MOVED), never run. Nothing acknowledged is lost. The pause outlasts
//     the old primary's lease, so even an old primary that never hears of the commit
//     has stopped writing when it ends.
//   - FORCE (and TAKEOVER, the same here: the Raft group decides either way): for a
//     primary that cannot be reached. A majority of the voting sentinels fence it (no
//     more leases, SENTINEL FENCE) and the leader waits until the leases they granted
//     it have run out, then commits the replica. Writes the replica had not received
//     are lost, as with Redis.

// ErrPrimaryDown is a graceful failover's refusal when the primary does not answer.
var ErrPrimaryDown = errors.New("Master is down or failed, please use CLUSTER FAILOVER FORCE")

// replyError is an error whose text is the whole RESP error reply (its own prefix).
type replyError string

func (e replyError) Error() string { return string(e) }

// manual runs a manual failover on the leader: to replica id, or, with shard set
// (SENTINEL FAILOVER), to the shard's best replica — gracefully when the primary
// answers, forced otherwise.
func (s *Sentinel) manual(id, shard string, force bool) (uint64, error) {
	if !s.store.IsLeader() {
		return 0, ErrNotLeader
	}
	top := s.store.Topology()
	if shard != "" {
		i := slices.IndexFunc(top.Shards(), func(sh slots.Shard) bool { return sh.ID == shard })
		if i < 0 {
			return 0, replyError("ERR No such master with that name")
		}
		sh := top.Shards()[i]
		cand, err := s.choose(sh)
		if err != nil {
			return 0, replyError("NOGOODSLAVE No suitable replica to promote")
		}
		id, force = cand, s.probes.sdown(sh.Primary)
	}
	sh, ok := top.ShardOf(id)
	if !ok {
		return 0, fmt.Errorf("node %s is not in a shard", id)
	}
	if !s.claim(sh.ID) {
		return 0, replyError("INPROG Failover already in progress")
	}
	defer s.release(sh.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.promote(ctx, id, force)
}

// promote makes replica id its shard's primary and returns the new epoch.
func (s *Sentinel) promote(ctx context.Context, id string, force bool) (uint64, error) {
	top := s.store.Topology()
	sh, ok := top.ShardOf(id)
	if !ok || sh.Primary == id || sh.Primary == "" {
		return 0, fmt.Errorf("node %s is not a replica", id)
	}
	p, _ := top.Node(sh.Primary)
	r, _ := top.Node(id)
	start := time.Now()
	s.event("+try-failover", s.describe(sh.Primary))
	pause := max(5*time.Second, 4*s.cfg.Lease)
	var pc *redis.Client
	if force {
		if err := s.fence(ctx, sh.Primary); err != nil {
			return 0, err
		}
	} else {
		pc = s.nodeClient(p, time.Second)
		defer pc.Close()
		if err := pc.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "WRITE").Err(); err != nil {
			return 0, ErrPrimaryDown
		}
		s.event("+failover-state-wait-replica", s.describe(id))
		if err := s.catchUp(ctx, pc, r, pause/2); err != nil {
			pc.Do(ctx, "CLIENT", "UNPAUSE")
			return 0, err
		}
	}
	s.event("+selected-slave", s.describe(id))
	epoch, err := s.store.Propose(ctx, slots.Change{Op: slots.OpSetPrimary, Shard: sh.ID, NodeID: id, Req: newReq()})
	if err != nil {
		if pc != nil {
			pc.Do(ctx, "CLIENT", "UNPAUSE")
		}
		return 0, err
	}
	if pc != nil {
		// Unpause once the old primary follows the new layout (its held writes are then
		// redirected); if it never does, the pause runs out after its lease did.
		deadline := time.Now().Add(pause)
		for time.Now().Before(deadline) {
			if info, err := pc.ClusterInfo(ctx).Result(); err == nil && infoUint(info, "cluster_current_epoch") >= epoch {
				pc.Do(ctx, "CLIENT", "UNPAUSE")
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	s.failovers.Add(1)
	s.metrics.observeFailover("manual", start)
	s.event("+failover-end", fmt.Sprintf("master %s %s %d epoch %d", sh.ID, p.IP, p.Port, epoch))
	return epoch, nil
}

// catchUp waits until replica r has applied the stream up to the paused primary's
// offset.
func (s *Sentinel) catchUp(ctx context.Context, pc *redis.Client, r slots.Node, within time.Duration) error {
	info, err := pc.Info(ctx, "replication").Result()
	if err != nil {
		return ErrPrimaryDown
	}
	want := parseReplInfo(info).Offset
	rc := s.nodeClient(r, time.Second)
	defer rc.Close()
	deadline := time.Now().Add(within)
	for {
		if info, err := rc.Info(ctx, "replication").Result(); err == nil && parseReplInfo(info).Offset >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replica did not catch up with the primary's offset %d", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fence makes a majority of the voting sentinels refuse node id leases, then waits
// until the leases they granted it have run out.
func (s *Sentinel) fence(ctx context.Context, id string) error {
	ids := s.store.Voters()
	addrs := s.sentinelAddrs()
	type answer struct {
		left time.Duration
		ok   bool
	}
	answers := make(chan answer, len(ids))
	fctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, v := range ids {
		if v == s.cfg.ID {
			left, ok := s.fenceLocal(id)
			answers <- answer{left, ok}
			continue
		}
		go func() {
			ms, err := sentinelapi.Do(s.apiCtx(fctx), addrs[v], "FENCE", id).Int64()
			answers <- answer{time.Duration(ms) * time.Millisecond, err == nil}
		}()
	}
	fenced, wait := 0, time.Duration(0)
	for range ids {
		if a := <-answers; a.ok {
			fenced++
			wait = max(wait, a.left)
		}
	}
	if fenced < len(ids)/2+1 {
		return fmt.Errorf("only %d of %d sentinels fenced the primary", fenced, len(ids))
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
	}
	return nil
}

// fenceLocal is this sentinel's part of fence: no more leases for the node's current
// primaryship, and how long the lease it last granted still runs.
func (s *Sentinel) fenceLocal(id string) (time.Duration, bool) {
	if !slices.Contains(s.store.Voters(), s.cfg.ID) {
		return 0, false
	}
	return s.leases.fence(id, s.store.Topology().Epoch(), s.cfg.FenceFor), true
}

// sentinelAddrs maps the sentinels the gossip knows to their RESP addresses.
func (s *Sentinel) sentinelAddrs() map[string]string {
	addrs := map[string]string{}
	for _, m := range s.gossip.Members() {
		if resp, _, ok := gossip.ParseSentinelMeta(m.Meta); ok {
			addrs[m.Name] = resp
		}
	}
	return addrs
}

// nodeClient is a one-connection client of data node n.
func (s *Sentinel) nodeClient(n slots.Node, timeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: net.JoinHostPort(n.IP, strconv.Itoa(n.Port)), Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, PoolSize: 1, DialTimeout: timeout, ReadTimeout: timeout,
		WriteTimeout: timeout, Dialer: gossip.DialOf(s.cfg.Faults)})
}

// apiCtx is ctx for a call to the other sentinels: through the sentinel's fault
// injection when it has one.
func (s *Sentinel) apiCtx(ctx context.Context) context.Context {
	return sentinelapi.WithDial(ctx, s.cfg.ID, gossip.DialOf(s.cfg.Faults))
}

// infoUint reads a numeric field of a CLUSTER INFO text (0 when absent).
func infoUint(text, field string) uint64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}
