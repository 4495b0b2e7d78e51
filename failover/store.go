package failover

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/slots"
)

// StoreConfig configures one member of the sentinel group's topology store.
type StoreConfig struct {
	ID   string // the member's Raft ID (stable across restarts)
	Dir  string // Raft log, stable store and snapshots
	Bind string // Raft TCP address, "127.0.0.1:0" for any port
	// Advertise is the address other members reach this one at; Bind's when empty.
	Advertise string
	// Bootstrap, on a member with no Raft state yet, starts the group with Peers (this
	// member included). Members that join later leave it empty and are added by the
	// leader (Join).
	Bootstrap bool
	Peers     []raft.Server
	// Fast shortens Raft's timeouts for tests and the local lab (a fifth of a second
	// instead of a second).
	Fast bool
	Log  io.Writer // Raft's log output, io.Discard when nil
	// Dial, if set, connects to the other members (tests of partitions).
	Dial gossip.DialFunc
	// Secret, when set, is the cluster secret every Raft connection proves it knows
	// (raftauth.go).
	Secret string
}

// Store is one member of the group: a Raft node over TCP with a BoltDB log and file
// snapshots, applying topology changes to its FSM.
type Store struct {
	heartbeat time.Duration // Raft's heartbeat timeout
	raft      *raft.Raft
	fsm       *FSM
	transport *raft.NetworkTransport
	logs      *raftboltdb.BoltStore
}

// ErrNotLeader is returned by Propose and Join on a member that is not the leader;
// LeaderAddr says where it is (when known).
var ErrNotLeader = errors.New("not the leader of the sentinel group")

// OpenStore starts a member: it recovers its state from Dir (log and snapshots) and,
// with Bootstrap and no state yet, starts a new group.
func OpenStore(cfg StoreConfig, fsm *FSM) (*Store, error) {
	logOut := cfg.Log
	if logOut == nil {
		logOut = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.LogOutput = logOut
	rc.SnapshotThreshold = 1024
	if cfg.Fast {
		rc.HeartbeatTimeout = 200 * time.Millisecond
		rc.ElectionTimeout = 200 * time.Millisecond
		// A leader steps down after a heartbeat timeout without a quorum, not half of
		// one: a busy machine (tests under -race) stalls it for a tenth of a second
		// often enough that it kept stepping down and being elected again, and each
		// time the primaries' write leases could lapse.
		rc.LeaderLeaseTimeout = 200 * time.Millisecond
		rc.CommitTimeout = 5 * time.Millisecond
	}
	bind := cfg.Bind
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	adv := cfg.Advertise
	if adv == "" {
		adv = ln.Addr().String()
	}
	advAddr, err := net.ResolveTCPAddr("tcp", adv)
	if err != nil {
		ln.Close()
		return nil, err
	}
	transport := raft.NewNetworkTransport(&streamLayer{ln: ln, adv: advAddr, dial: cfg.Dial, key: raftKey(cfg.Secret)}, 3, 2*time.Second, logOut)
	logs, err := raftboltdb.NewBoltStore(filepath.Join(cfg.Dir, "raft.db"))
	if err != nil {
		transport.Close()
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStore(cfg.Dir, 2, logOut)
	if err != nil {
		transport.Close()
		logs.Close()
		return nil, err
	}
	if cfg.Bootstrap {
		has, err := raft.HasExistingState(logs, logs, snaps)
		if err != nil {
			transport.Close()
			logs.Close()
			return nil, err
		}
		if !has {
			peers := cfg.Peers
			if len(peers) == 0 {
				peers = []raft.Server{{ID: rc.LocalID, Address: transport.LocalAddr()}}
			}
			if err := raft.BootstrapCluster(rc, logs, logs, snaps, transport, raft.Configuration{Servers: peers}); err != nil {
				transport.Close()
				logs.Close()
				return nil, err
			}
		}
	}
	r, err := raft.NewRaft(rc, fsm, logs, logs, snaps, transport)
	if err != nil {
		transport.Close()
		logs.Close()
		return nil, err
	}
	return &Store{heartbeat: rc.HeartbeatTimeout, raft: r, fsm: fsm, transport: transport, logs: logs}, nil
}

// Addr is the member's Raft address.
func (s *Store) Addr() string { return string(s.transport.LocalAddr()) }

// Topology is the member's current topology (what its FSM applied so far).
func (s *Store) Topology() *slots.Topology { return s.fsm.Topology() }

// IsLeader reports whether the member leads the group.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// LeaderAddr is the leader's Raft address, "" when unknown.
func (s *Store) LeaderAddr() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// Term is the member's current Raft term.
func (s *Store) Term() uint64 { return s.raft.CurrentTerm() }

// LeaderCh reports leadership changes (true: this member became the leader).
func (s *Store) LeaderCh() <-chan bool { return s.raft.LeaderCh() }

// Propose commits a change through the group and returns the epoch it was applied
// at. It answers only once the change is committed and applied here; a change the
// FSM refuses returns its reason.
func (s *Store) Propose(ctx context.Context, c slots.Change) (uint64, error) {
	return s.propose(ctx, c.Entry())
}

// propose commits one log entry (a topology change or a group change) and returns
// the Result its Apply gave.
func (s *Store) propose(ctx context.Context, entry []byte) (uint64, error) {
	if !s.IsLeader() {
		return 0, ErrNotLeader
	}
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	f := s.raft.Apply(entry, timeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, ErrNotLeader
		}
		return 0, err
	}
	res := f.Response().(Result)
	return res.Epoch, res.Err
}

// Voters lists the IDs of the group's voting members, as this member's latest
// configuration has them.
func (s *Store) Voters() []string {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	var ids []string
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage == raft.Voter {
			ids = append(ids, string(srv.ID))
		}
	}
	return ids
}

// Current reports whether this member leads the group or heard from its leader
// within d. A member taken out of the group while cut off from it never hears that
// it was: it only stops hearing from the leader.
func (s *Store) Current(d time.Duration) bool {
	return s.raft.State() == raft.Leader || time.Since(s.raft.LastContact()) < d
}

// Heartbeat is Raft's heartbeat timeout: a follower that has not heard from the
// leader for that long starts an election.
func (s *Store) Heartbeat() time.Duration { return s.heartbeat }

// Join adds a member to the group as a voter (on the leader).
func (s *Store) Join(id, addr string) error {
	if !s.IsLeader() {
		return ErrNotLeader
	}
	return s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 10*time.Second).Error()
}

// Remove takes a member out of the group (on the leader); the last one stays.
func (s *Store) Remove(id string) error {
	if !s.IsLeader() {
		return ErrNotLeader
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	servers := f.Configuration().Servers
	switch {
	case !slices.ContainsFunc(servers, func(srv raft.Server) bool { return string(srv.ID) == id }):
		return replyError("ERR no sentinel " + id + " in the group")
	case len(servers) == 1:
		return replyError("ERR the group's last sentinel cannot be forgotten")
	}
	return s.raft.RemoveServer(raft.ServerID(id), 0, 10*time.Second).Error()
}

// Snapshot makes the member snapshot its state now (tests; Raft also does it on its
// own every SnapshotThreshold entries).
func (s *Store) Snapshot() error { return s.raft.Snapshot().Error() }

// Close stops the member.
func (s *Store) Close() error {
	err := s.raft.Shutdown().Error()
	s.transport.Close()
	if cerr := s.logs.Close(); err == nil {
		err = cerr
	}
	return err
}

// streamLayer is Raft's TCP transport on a listener opened here (so Bind may use port
// 0), advertising adv; with a key, every connection is authenticated (raftauth.go).
type streamLayer struct {
	ln   net.Listener
	adv  net.Addr
	dial gossip.DialFunc
	key  []byte
}

func (l *streamLayer) Accept() (net.Conn, error) {
	conn, err := l.ln.Accept()
	if err != nil || l.key == nil {
		return conn, err
	}
	return &authConn{Conn: conn, key: l.key}, nil
}

func (l *streamLayer) Close() error   { return l.ln.Close() }
func (l *streamLayer) Addr() net.Addr { return l.adv }

func (l *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := gossip.DialTimeout(l.dial, string(addr), timeout)
	if err != nil || l.key == nil {
		return conn, err
	}
	if err := dialAuth(conn, l.key); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
