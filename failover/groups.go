package failover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/sentinelapi"
)

// Standalone groups: a plain primary + replicas deployment (shoal or Redis servers
// not in cluster mode) watched through SENTINEL MONITOR, as Redis Sentinel does, but
// decided by the Raft group: the group's state (its primary, known replicas,
// settings, config-epoch) lives in the FSM, every change to it is a log entry, and
// the leader carries a committed failover out on the servers (REPLICAOF NO ONE on
// the new primary, REPLICAOF on the others, the old primary included when it comes
// back) until they match it. Groups have no write leases: like Redis Sentinel's, an
// old primary cut off from the sentinels keeps taking writes until it is turned into
// a replica (min-replicas-to-write bounds that, as with Redis).

// Group is one standalone group as the FSM holds it.
type Group struct {
	Name     string   `json:"name"`
	Primary  string   `json:"primary"`            // "ip:port"
	Replicas []string `json:"replicas,omitempty"` // known replicas, "ip:port"
	Quorum   int      `json:"quorum"`
	Epoch    uint64   `json:"epoch,omitempty"` // config-epoch (bumped by each failover)
	// Settings (SENTINEL SET); zero: the defaults.
	DownAfterMs       int64  `json:"down_after_ms,omitempty"`
	FailoverTimeoutMs int64  `json:"failover_timeout_ms,omitempty"`
	ParallelSyncs     int    `json:"parallel_syncs,omitempty"`
	AuthUser          string `json:"auth_user,omitempty"`
	AuthPass          string `json:"auth_pass,omitempty"`
}

// Group ops: log entries of their own, numbered from groupOpBase so they never meet
// a topology op (slots.Op, which stays below it). Like slots.Op, a value is never
// reused.
const (
	groupOpBase    = 64
	opMonitor      = 64 // Group is added (SENTINEL MONITOR)
	opRemove       = 65 // Name is removed (SENTINEL REMOVE)
	opGroupSet     = 66 // Name's settings become Group's (SENTINEL SET)
	opGroupMembers = 67 // Name's known replicas become Group.Replicas (discovery, RESET)
	opGroupPrimary = 68 // replica Primary of Name becomes its primary (failover)
)

// groupChange is one group log entry.
type groupChange struct {
	Op    int    `json:"op"`
	Group Group  `json:"group"`
	Req   string `json:"req,omitempty"`
}

func (c groupChange) entry() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return append([]byte{byte(c.Op)}, b...)
}

// applyGroup applies a group entry to f's groups. f.mu is held.
func (f *FSM) applyGroup(b []byte) (string, Result) {
	var c groupChange
	if err := json.Unmarshal(b[1:], &c); err != nil || c.Op != int(b[0]) {
		panic(fmt.Sprintf("failover: group log entry of op %d: %v", b[0], err))
	}
	if r, dup := f.done[c.Req]; dup && c.Req != "" {
		return c.Req, r
	}
	err := f.groupOp(c)
	return c.Req, Result{Epoch: f.groupEpoch, Err: err}
}

// groupOp changes the groups as c says, or says why it does not apply.
func (f *FSM) groupOp(c groupChange) error {
	g := c.Group
	cur, ok := f.groups[g.Name]
	switch c.Op {
	case opMonitor:
		if ok && (cur.Primary != g.Primary || cur.Quorum != g.Quorum) {
			return replyError("ERR Duplicated master name")
		}
		if ok {
			return nil // every sentinel of the group told the same (one state for all)
		}
		f.groups[g.Name] = &g
	case opRemove:
		if !ok {
			return replyError("ERR No such master with that name")
		}
		delete(f.groups, g.Name)
	case opGroupSet:
		if !ok {
			return replyError("ERR No such master with that name")
		}
		next := *cur
		next.Quorum, next.DownAfterMs, next.FailoverTimeoutMs = g.Quorum, g.DownAfterMs, g.FailoverTimeoutMs
		next.ParallelSyncs, next.AuthUser, next.AuthPass = g.ParallelSyncs, g.AuthUser, g.AuthPass
		f.groups[g.Name] = &next
	case opGroupMembers:
		if !ok {
			return replyError("ERR No such master with that name")
		}
		next := *cur
		next.Replicas = slices.DeleteFunc(slices.Clone(g.Replicas), func(r string) bool { return r == cur.Primary })
		f.groups[g.Name] = &next
	case opGroupPrimary:
		if !ok {
			return replyError("ERR No such master with that name")
		}
		if !slices.Contains(cur.Replicas, g.Primary) {
			return fmt.Errorf("%s is not a replica of %s", g.Primary, g.Name)
		}
		f.groupEpoch++
		next := *cur
		next.Replicas = append(slices.DeleteFunc(slices.Clone(cur.Replicas), func(r string) bool { return r == g.Primary }), cur.Primary)
		next.Primary, next.Epoch = g.Primary, f.groupEpoch
		f.groups[g.Name] = &next
	default:
		panic(fmt.Sprintf("failover: unknown group op %d", c.Op))
	}
	return nil
}

// Groups returns the standalone groups, by name.
func (f *FSM) Groups() []Group {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Group, 0, len(f.groups))
	for _, g := range f.groups {
		c := *g
		c.Replicas = slices.Clone(g.Replicas)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// proposeGroup commits a group change on the leader.
func (s *Sentinel) proposeGroup(c groupChange) error {
	c.Req = newReq()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.store.propose(ctx, c.entry())
	return err
}

// groupMasters are the groups as masters of the API.
func (s *Sentinel) groupMasters() []master {
	var out []master
	for _, g := range s.store.fsm.Groups() {
		out = append(out, groupMaster(g, s.cfg.DownAfter))
	}
	return out
}

func groupMaster(g Group, downAfter time.Duration) master {
	m := master{name: g.Name, primary: g.Primary, replicas: g.Replicas, quorum: g.Quorum, epoch: g.Epoch,
		downAfter: downAfter, failoverTimeout: defaultFailoverTimeout, parallelSyncs: defaultParallelSyncs}
	if g.DownAfterMs > 0 {
		m.downAfter = time.Duration(g.DownAfterMs) * time.Millisecond
	}
	if g.FailoverTimeoutMs > 0 {
		m.failoverTimeout = time.Duration(g.FailoverTimeoutMs) * time.Millisecond
	}
	if g.ParallelSyncs > 0 {
		m.parallelSyncs = g.ParallelSyncs
	}
	return m
}

// group finds a group by name.
func (s *Sentinel) group(name string) (Group, bool) {
	for _, g := range s.store.fsm.Groups() {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// groupCommand runs SENTINEL MONITOR name ip port quorum, REMOVE name and SET name
// option value […] (on the leader: the change is committed through the group).
func (s *Sentinel) groupCommand(w *resp.Writer, sub string, args [][]byte) {
	name := string(args[0])
	var c groupChange
	switch sub {
	case "MONITOR":
		ip := string(args[1])
		if net.ParseIP(ip) == nil {
			if _, err := net.LookupHost(ip); err != nil {
				w.Error("ERR Invalid IP address or hostname specified")
				return
			}
		}
		port, err := strconv.Atoi(string(args[2]))
		if err != nil || port <= 0 || port > 65535 {
			w.Error("ERR Invalid port")
			return
		}
		quorum, err := strconv.Atoi(string(args[3]))
		if err != nil {
			w.Error("ERR value is not an integer or out of range")
			return
		}
		if quorum <= 0 {
			w.Error("ERR Quorum must be 1 or greater.")
			return
		}
		if _, shard := s.masterNamed(name); shard {
			if _, group := s.group(name); !group {
				w.Error("ERR Duplicated master name")
				return
			}
		}
		c = groupChange{Op: opMonitor, Group: Group{Name: name, Primary: net.JoinHostPort(ip, strconv.Itoa(port)), Quorum: quorum}}
	case "REMOVE":
		c = groupChange{Op: opRemove, Group: Group{Name: name}}
	case "SET":
		g, ok := s.group(name)
		if !ok {
			if _, shard := s.masterNamed(name); shard {
				w.Error("ERR a cluster shard follows the sentinel group's settings")
			} else {
				w.Error("ERR No such master with that name")
			}
			return
		}
		for i := 1; i+1 < len(args); i += 2 {
			if err := setOption(&g, strings.ToLower(string(args[i])), string(args[i+1])); err != nil {
				w.Error(err.Error())
				return
			}
		}
		c = groupChange{Op: opGroupSet, Group: g}
	}
	err := s.proposeGroup(c)
	if errors.Is(err, ErrNotLeader) {
		// The group's state is one for every sentinel: a follower hands the command to
		// the leader, so an operator may send it to any (or, as with Redis Sentinel, to
		// each) of them.
		err = s.forward(append([]any{sub}, bytesToAny(args)...))
	}
	s.answer(w, err, w.OK)
}

// forward runs SENTINEL args… on the leader; its error replies come back as such.
func (s *Sentinel) forward(args []any) error {
	leader := s.leaderRESP()
	if leader == "" {
		return ErrNotLeader
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := sentinelapi.Leader(s.apiCtx(ctx), []string{leader}, args...)
	var re redis.Error
	if errors.As(err, &re) {
		return replyError(re.Error())
	}
	return err
}

func bytesToAny(args [][]byte) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// setOption applies one SENTINEL SET option to g.
func setOption(g *Group, opt, val string) error {
	num := func(min int64) (int64, error) {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < min {
			return 0, fmt.Errorf("ERR Invalid argument '%s' for SENTINEL SET '%s'", val, opt)
		}
		return n, nil
	}
	var err error
	var n int64
	switch opt {
	case "down-after-milliseconds":
		n, err = num(1)
		g.DownAfterMs = n
	case "failover-timeout":
		n, err = num(1)
		g.FailoverTimeoutMs = n
	case "parallel-syncs":
		n, err = num(1)
		g.ParallelSyncs = int(n)
	case "quorum":
		n, err = num(1)
		g.Quorum = int(n)
	case "auth-pass":
		g.AuthPass = val
	case "auth-user":
		g.AuthUser = val
	case "notification-script", "client-reconfig-script":
		return errors.New("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your config file before attempting to modify it.")
	default:
		return fmt.Errorf("ERR Invalid argument '%s' for SENTINEL SET '%s'", val, opt)
	}
	return err
}

// reset answers SENTINEL RESET pattern: the groups whose name matches forget their
// known replicas (the primary's INFO brings the live ones back); shards, whose
// members are the topology's, have nothing to forget. It counts the matches.
func (s *Sentinel) reset(pattern string) int {
	n := 0
	for _, m := range s.masters() {
		if !glob.Match([]byte(pattern), []byte(m.name), false) {
			continue
		}
		n++
		if g, ok := s.group(m.name); ok && len(g.Replicas) > 0 && s.store.IsLeader() {
			g.Replicas = nil
			s.proposeGroup(groupChange{Op: opGroupMembers, Group: g})
		}
	}
	return n
}
