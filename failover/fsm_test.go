package failover

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shoal-db/shoal/slots"
)

func nid(c byte) string { return strings.Repeat(string(c), 40) }

// applyAll applies changes to f as consecutive log entries from index first.
func applyAll(f *FSM, first uint64, changes []slots.Change) []Result {
	var out []Result
	for i, c := range changes {
		out = append(out, f.Apply(&raft.Log{Index: first + uint64(i), Type: raft.LogCommand, Data: c.Entry()}).(Result))
	}
	return out
}

// applyEntries applies log entries to f, the first at index first.
func applyEntries(f *FSM, first uint64, entries [][]byte) {
	for i, e := range entries {
		f.Apply(&raft.Log{Index: first + uint64(i), Type: raft.LogCommand, Data: e})
	}
}

// labChanges builds three shards of a primary and a replica covering every slot.
func labChanges() []slots.Change {
	var cs []slots.Change
	for i, c := range "abcdef" {
		cs = append(cs, slots.Change{Op: slots.OpAddNode, Node: slots.Node{ID: nid(byte(c)), IP: "127.0.0.1", Port: 7000 + i, BusPort: 17000 + i}})
	}
	cs = append(cs,
		slots.Change{Op: slots.OpAddShard, Shard: nid('1'), Primary: nid('a'), Replicas: []string{nid('d')}},
		slots.Change{Op: slots.OpAddShard, Shard: nid('2'), Primary: nid('b')},
		slots.Change{Op: slots.OpAddReplica, Shard: nid('2'), NodeID: nid('e')},
		slots.Change{Op: slots.OpAddShard, Shard: nid('3'), Primary: nid('c'), Replicas: []string{nid('f')}},
		slots.Change{Op: slots.OpAssignSlots, Shard: nid('1'), Slots: "0-5460"},
		slots.Change{Op: slots.OpAssignSlots, Shard: nid('2'), Slots: "5461-10922"},
		slots.Change{Op: slots.OpAssignSlots, Shard: nid('3'), Slots: "10923-16383"},
	)
	return cs
}

func TestApplyChanges(t *testing.T) {
	f := NewFSM()
	for i, r := range applyAll(f, 1, labChanges()) {
		if r.Err != nil || r.Epoch != uint64(i+1) {
			t.Fatalf("change %d: %+v", i, r)
		}
	}
	top := f.Topology()
	if !top.Covered() || top.Epoch() != 13 {
		t.Fatalf("lab: covered %v, epoch %d", top.Covered(), top.Epoch())
	}
	// Refused changes leave the topology and its epoch alone.
	for _, c := range []slots.Change{
		{Op: slots.OpAddNode, Node: slots.Node{ID: nid('a')}},                      // twice
		{Op: slots.OpRemoveNode, NodeID: nid('a')},                                 // still in a shard
		{Op: slots.OpAssignSlots, Shard: nid('1'), Slots: "5461"},                  // owned
		{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('2'), Slots: "5460-5461"}, // not all its own
		{Op: slots.OpSetPrimary, Shard: nid('1'), NodeID: nid('e')},                // not its replica
		{Op: slots.OpAddShard, Shard: nid('4'), Primary: nid('a')},                 // a in two shards
		{Op: slots.OpAssignSlots, Shard: nid('9'), Slots: "1"},                     // no such shard
		{Op: slots.OpDropSlots, Shard: nid('1'), Slots: ""},                        // no slots
		{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('9'), Slots: "1"},         // no such target
		{Op: slots.OpAssignSlots, Shard: nid('1'), Slots: "16384"},                 // bad slot
		{Op: slots.OpAddReplica, Shard: nid('1'), NodeID: nid('z')},                // unknown node
		{Op: slots.OpRemoveNode, NodeID: nid('z')},                                 // unknown node
		{Op: slots.OpSetPrimary, Shard: nid('9'), NodeID: nid('d')},                // no such shard
		{Op: slots.OpAddShard, Shard: nid('1'), Primary: nid('z')},                 // unknown primary
		{Op: slots.OpAddNode, Node: slots.Node{}},                                  // no ID
		{Op: slots.OpDropSlots, Shard: nid('2'), Slots: "0"},                       // not its slot
		{Op: slots.OpMoveSlots, Shard: nid('3'), To: nid('3'), Slots: "16383 0"},   // not all its own
		{Op: slots.OpAssignSlots, Shard: nid('3'), Slots: "x"},                     // malformed
		{Op: slots.OpSetPrimary, Shard: nid('3'), NodeID: nid('c')},                // already primary
		{Op: slots.OpAddReplica, Shard: nid('3'), NodeID: nid('a')},                // a in two shards
		{Op: slots.OpMoveSlots, Shard: nid('2'), To: nid('1'), Slots: "0"},         // not its slot
		{Op: slots.OpDropSlots, Shard: nid('9'), Slots: "0"},                       // no such shard
		{Op: slots.OpAddShard, Shard: nid('5'), Primary: nid('b'), Replicas: nil},  // b in two shards
		{Op: slots.OpAddShard, Shard: nid('1')},                                    // shard twice
		{Op: slots.OpAddReplica, Shard: nid('1'), NodeID: nid('d')},                // d twice
		{Op: slots.OpAssignSlots, Shard: nid('1'), Slots: "1-0"},                   // bad range
		{Op: slots.OpSetPrimary, Shard: nid('1'), NodeID: ""},                      // no node
		{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('2'), Slots: ""},          // no slots
		{Op: slots.OpClearMigration, Slots: "7"},                                   // not migrating
		{Op: slots.OpSetNodeAddr, Node: slots.Node{ID: nid('z'), IP: "10.0.0.9"}},  // unknown node
	} {
		r := applyAll(f, 100, []slots.Change{c})[0]
		if r.Err == nil || r.Epoch != 13 {
			t.Errorf("%+v: %+v, want refused at epoch 13", c, r)
		}
	}
	// A batch of slots migrating, half of it called off, then a reshard hand-off and a
	// failover.
	rs := applyAll(f, 200, []slots.Change{
		{Op: slots.OpSetMigration, Slots: "4990-5460", NodeID: nid('b')},
		{Op: slots.OpClearMigration, Slots: "4990-4999"},
		{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('2'), Slots: "5000-5460"},
		{Op: slots.OpSetPrimary, Shard: nid('1'), NodeID: nid('d')},
		{Op: slots.OpSetNodeAddr, Node: slots.Node{ID: nid('e'), IP: "10.1.2.3", Port: 6379, BusPort: 16379}},
	})
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	top = f.Topology()
	if n, _ := top.Node(nid('e')); n.IP != "10.1.2.3" || n.Port != 6379 || n.BusPort != 16379 {
		t.Errorf("after OpSetNodeAddr: %+v", n)
	}
	// shoal's own moves: one handed off, one rolled back; overlapping or conflicting
	// changes refused meanwhile.
	for _, c := range []struct {
		ch slots.Change
		ok bool
	}{
		{slots.Change{Op: slots.OpBeginMove, Move: "m1", Shard: nid('1'), To: nid('3'), Slots: "0-99"}, true},
		{slots.Change{Op: slots.OpBeginMove, Move: "m2", Shard: nid('1'), To: nid('2'), Slots: "50-60"}, false}, // slots in m1
		{slots.Change{Op: slots.OpBeginMove, Move: "m1", Shard: nid('1'), To: nid('2'), Slots: "200"}, false},   // m1 exists
		{slots.Change{Op: slots.OpBeginMove, Move: "m4", Shard: nid('1'), To: nid('1'), Slots: "300"}, false},   // to itself
		{slots.Change{Op: slots.OpBeginMove, Move: "m5", Shard: nid('2'), To: nid('1'), Slots: "0"}, false},     // not its slot
		{slots.Change{Op: slots.OpSetMigration, Slots: "10", NodeID: nid('b')}, false},                          // moving
		{slots.Change{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('2'), Slots: "10"}, false},                // moving
		{slots.Change{Op: slots.OpMovePhase, Move: "m1", Phase: slots.MoveHandingOff}, true},
		{slots.Change{Op: slots.OpEndMove, Move: "m1", Phase: "finished"}, false},
		{slots.Change{Op: slots.OpEndMove, Move: "m1", Phase: slots.MoveDone}, true},
		{slots.Change{Op: slots.OpEndMove, Move: "m1", Phase: slots.MoveDone}, false}, // over already
		{slots.Change{Op: slots.OpBeginMove, Move: "m3", Shard: nid('1'), To: nid('2'), Slots: "100-199"}, true},
		{slots.Change{Op: slots.OpEndMove, Move: "m3", Phase: slots.MoveRolledBack}, true},
		{slots.Change{Op: slots.OpBeginMove, Move: "m6", Shard: nid('1'), To: nid('2'), Slots: "300-310"}, true},
		{slots.Change{Op: slots.OpEndMove, Move: "m6", Phase: slots.MoveDone, Primary: nid('a'), NodeID: nid('b')}, false}, // a is no longer 1's primary
		{slots.Change{Op: slots.OpEndMove, Move: "m6", Phase: slots.MoveDone, Primary: nid('d'), NodeID: nid('e')}, false}, // e is not 2's
		{slots.Change{Op: slots.OpEndMove, Move: "m6", Phase: slots.MoveDone, Primary: nid('d'), NodeID: nid('b')}, true},
	} {
		r := applyAll(f, 300, []slots.Change{c.ch})[0]
		if (r.Err == nil) != c.ok {
			t.Errorf("%+v: %v", c.ch, r.Err)
		}
	}
	top = f.Topology()
	if s, _ := top.Owner(50); s.ID != nid('3') || len(top.Moves()) != 0 {
		t.Errorf("after the move: owner of 50 %s, moves %v", s.ID, top.Moves())
	}
	if s, _ := top.Owner(150); s.ID != nid('1') {
		t.Errorf("after the rolled-back move: owner of 150 %s", s.ID)
	}
	if s, _ := top.Owner(305); s.ID != nid('2') {
		t.Errorf("after the move of the primaries named: owner of 305 %s", s.ID)
	}
	var ended []string
	for _, m := range top.EndedMoves() {
		ended = append(ended, m.ID+" "+m.Phase)
	}
	if fmt.Sprint(ended) != "[m1 done m3 rolled-back m6 done]" {
		t.Errorf("ended moves: %v", ended)
	}
	if back, err := slots.Decode(top.Encode()); err != nil || string(back.Encode()) != string(top.Encode()) {
		t.Errorf("round trip: %v", err)
	}
	if len(top.Migrations()) != 0 {
		t.Errorf("migrations left after the hand-off: %v", top.Migrations())
	}
	if s, _ := top.Owner(5000); s.ID != nid('2') || top.Epoch() != 25 {
		t.Errorf("after the move: owner of 5000 %s, epoch %d", s.ID, top.Epoch())
	}
	if s, _ := top.ShardOf(nid('a')); s.Primary != nid('d') || len(s.Replicas) != 1 || s.Replicas[0] != nid('a') {
		t.Errorf("after the failover: %+v", s)
	}
}

func TestUnknownOpPanics(t *testing.T) {
	for _, entry := range [][]byte{{}, {200, '{', '}'}, {byte(slots.OpAddNode), 'x'}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("entry %q applied without a panic", entry)
				}
			}()
			NewFSM().Apply(&raft.Log{Type: raft.LogCommand, Data: entry})
		}()
	}
}

// randomChanges makes n changes, valid and not, over a small set of names.
func randomChanges(rnd *rand.Rand, n int) []slots.Change {
	ids := "abcdefgh"
	pick := func() string { return nid(ids[rnd.IntN(len(ids))]) }
	shard := func() string { return nid("1234"[rnd.IntN(4)]) }
	rng := func() string {
		a := rnd.IntN(slots.Count)
		return fmt.Sprintf("%d-%d", a, min(a+rnd.IntN(3000), slots.Count-1))
	}
	var cs []slots.Change
	for range n {
		var c slots.Change
		switch slots.Op(1 + rnd.IntN(15)) {
		case slots.OpAddNode:
			c = slots.Change{Op: slots.OpAddNode, Node: slots.Node{ID: pick(), IP: "10.0.0.1", Port: 7000 + rnd.IntN(10)}}
		case slots.OpRemoveNode:
			c = slots.Change{Op: slots.OpRemoveNode, NodeID: pick()}
		case slots.OpAddShard:
			c = slots.Change{Op: slots.OpAddShard, Shard: shard(), Primary: pick()}
		case slots.OpAddReplica:
			c = slots.Change{Op: slots.OpAddReplica, Shard: shard(), NodeID: pick()}
		case slots.OpAssignSlots:
			c = slots.Change{Op: slots.OpAssignSlots, Shard: shard(), Slots: rng()}
		case slots.OpMoveSlots:
			c = slots.Change{Op: slots.OpMoveSlots, Shard: shard(), To: shard(), Slots: rng()}
		case slots.OpSetPrimary:
			c = slots.Change{Op: slots.OpSetPrimary, Shard: shard(), NodeID: pick()}
		case slots.OpDropSlots:
			c = slots.Change{Op: slots.OpDropSlots, Shard: shard(), Slots: rng()}
		case slots.OpSetMigration:
			c = slots.Change{Op: slots.OpSetMigration, Slots: fmt.Sprint(rnd.IntN(slots.Count)), NodeID: pick()}
		case slots.OpClearMigration:
			c = slots.Change{Op: slots.OpClearMigration, Slots: fmt.Sprint(rnd.IntN(slots.Count))}
		case slots.OpForgetNode:
			c = slots.Change{Op: slots.OpForgetNode, NodeID: pick()}
		case slots.OpSetNodeAddr:
			c = slots.Change{Op: slots.OpSetNodeAddr, Node: slots.Node{ID: pick(), IP: "10.0.0.2", Port: 7000 + rnd.IntN(10)}}
		case slots.OpBeginMove:
			c = slots.Change{Op: slots.OpBeginMove, Move: fmt.Sprint("m", rnd.IntN(3)), Shard: shard(), To: shard(), Slots: rng()}
		case slots.OpMovePhase:
			c = slots.Change{Op: slots.OpMovePhase, Move: fmt.Sprint("m", rnd.IntN(3)), Phase: slots.MoveHandingOff}
		case slots.OpEndMove:
			c = slots.Change{Op: slots.OpEndMove, Move: fmt.Sprint("m", rnd.IntN(3)), Phase: []string{slots.MoveDone, slots.MoveRolledBack}[rnd.IntN(2)]}
		}
		switch rnd.IntN(4) {
		case 0: // a request sent again: applied once
			if len(cs) > 0 {
				c = cs[rnd.IntN(len(cs))]
			}
		case 1, 2:
			c.Req = fmt.Sprint("req-", len(cs))
		}
		cs = append(cs, c)
	}
	return cs
}

// randomGroupChanges makes n standalone group changes, valid and not, over a small
// set of names and addresses.
func randomGroupChanges(rnd *rand.Rand, n int) [][]byte {
	addr := func() string { return fmt.Sprintf("10.0.0.%d:6379", rnd.IntN(5)) }
	var out [][]byte
	for range n {
		g := Group{Name: "g" + fmt.Sprint(rnd.IntN(3)), Primary: addr(), Quorum: 1 + rnd.IntN(3)}
		c := groupChange{Op: opMonitor + rnd.IntN(5), Group: g}
		switch c.Op {
		case opGroupMembers:
			c.Group.Replicas = []string{addr(), addr()}
		case opGroupSet:
			c.Group.DownAfterMs = int64(rnd.IntN(5000))
		}
		if rnd.IntN(2) == 0 {
			c.Req = fmt.Sprint("greq-", len(out))
		}
		out = append(out, c.entry())
	}
	return out
}

// TestReplayEqualsSnapshot: applying a log whole gives the same state as applying a
// prefix, snapshotting, restoring into a fresh FSM and applying the rest. The log
// mixes topology changes and standalone group changes.
func TestReplayEqualsSnapshot(t *testing.T) {
	for seed := range uint64(60) {
		rnd := rand.New(rand.NewPCG(seed, 99))
		var changes [][]byte
		for _, c := range append(labChanges()[:rnd.IntN(14)], randomChanges(rnd, 60)...) {
			changes = append(changes, c.Entry())
		}
		for _, e := range randomGroupChanges(rnd, 30) {
			i := rnd.IntN(len(changes) + 1)
			changes = slices.Insert(changes, i, e)
		}
		whole := NewFSM()
		applyEntries(whole, 1, changes)
		k := rnd.IntN(len(changes) + 1)
		part := NewFSM()
		applyEntries(part, 1, changes[:k])
		snap, err := part.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		sink := &memSink{}
		if err := snap.Persist(sink); err != nil {
			t.Fatal(err)
		}
		restored := NewFSM()
		if err := restored.Restore(io.NopCloser(&sink.Buffer)); err != nil {
			t.Fatal(err)
		}
		applyEntries(restored, uint64(k+1), changes[k:])
		if a, b := snapshotBytes(t, whole), snapshotBytes(t, restored); a != b {
			t.Fatalf("seed %d, snapshot after %d of %d changes:\nreplay   %s\nrestored %s", seed, k, len(changes), a, b)
		}
	}
}

// snapshotBytes is f's whole state as its snapshot writes it.
func snapshotBytes(t *testing.T, f *FSM) string {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	return sink.String()
}

// memSink is a snapshot sink in memory.
type memSink struct{ bytes.Buffer }

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { return nil }
func (s *memSink) Close() error  { return nil }

// TestStoreGroup: three members over TCP elect a leader and agree on every committed
// change; a member that is not the leader refuses proposals; when the leader stops,
// another takes over with the state; a stopped member restarted from its directory
// recovers the topology (from its snapshot and log) and catches up.
func TestStoreGroup(t *testing.T) {
	ctx := context.Background()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	stores := make([]*Store, 3)
	open := func(i int, bootstrap bool, peers []raft.Server, bind string) {
		t.Helper()
		s, err := OpenStore(StoreConfig{ID: fmt.Sprint("s", i), Dir: dirs[i], Bind: bind, Bootstrap: bootstrap, Peers: peers, Fast: true}, NewFSM())
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	open(0, true, nil, "127.0.0.1:0")
	open(1, false, nil, "127.0.0.1:0")
	open(2, false, nil, "127.0.0.1:0")
	defer func() {
		for _, s := range stores {
			if s != nil {
				s.Close()
			}
		}
	}()
	leader := func() *Store {
		t.Helper()
		var l *Store
		deadline := time.Now().Add(20 * time.Second)
		for l == nil {
			for _, s := range stores {
				if s != nil && s.IsLeader() {
					l = s
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no leader")
			}
			time.Sleep(10 * time.Millisecond)
		}
		return l
	}
	l := leader()
	for i := 1; i < 3; i++ {
		if err := l.Join(fmt.Sprint("s", i), stores[i].Addr()); err != nil {
			t.Fatal(err)
		}
	}
	propose := func(cs []slots.Change) {
		t.Helper()
		for _, c := range cs {
			if _, err := leader().Propose(ctx, c); err != nil {
				t.Fatalf("%+v: %v", c, err)
			}
		}
	}
	agree := func(epoch uint64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ok := true
			for _, s := range stores {
				if s != nil && s.Topology().Epoch() != epoch {
					ok = false
				}
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the members did not all reach epoch %d", epoch)
			}
			time.Sleep(10 * time.Millisecond)
		}
		want := ""
		for i, s := range stores {
			if s == nil {
				continue
			}
			if got := string(s.Topology().Encode()); want == "" {
				want = got
			} else if got != want {
				t.Fatalf("member %d differs", i)
			}
		}
	}
	propose(labChanges())
	agree(13)
	for _, s := range stores {
		if !s.IsLeader() {
			if _, err := s.Propose(ctx, slots.Change{Op: slots.OpDropSlots, Shard: nid('1'), Slots: "0"}); err != ErrNotLeader {
				t.Errorf("a follower's Propose: %v", err)
			}
		}
	}
	if _, err := leader().Propose(ctx, slots.Change{Op: slots.OpAssignSlots, Shard: nid('1'), Slots: "0"}); err == nil {
		t.Error("a refused change reported success")
	}
	// The leader stops; the others elect a new one and go on.
	l = leader()
	li := 0
	for i, s := range stores {
		if s == l {
			li = i
		}
	}
	if err := l.Snapshot(); err != nil {
		t.Fatal(err)
	}
	addr := l.Addr()
	l.Close()
	stores[li] = nil
	propose([]slots.Change{{Op: slots.OpMoveSlots, Shard: nid('1'), To: nid('2'), Slots: "0-99"}})
	agree(14)
	// The old leader restarts from its directory and catches up.
	open(li, false, nil, addr)
	agree(14)
	if s, _ := stores[li].Topology().Owner(50); s.ID != nid('2') {
		t.Errorf("the restarted member has slot 50 at %s", s.ID)
	}
}

// TestStorePeers: three members started at once with the same peer list (each with
// Bootstrap) form one group: a leader is elected and every member applies its commits.
func TestStorePeers(t *testing.T) {
	var peers []raft.Server
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, raft.Server{ID: raft.ServerID(fmt.Sprint("p", i)), Address: raft.ServerAddress(ln.Addr().String())})
		ln.Close()
	}
	var stores []*Store
	for i, p := range peers {
		s, err := OpenStore(StoreConfig{ID: string(p.ID), Dir: t.TempDir(), Bind: string(p.Address), Bootstrap: true, Peers: peers, Fast: true}, NewFSM())
		if err != nil {
			t.Fatal(i, err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var epoch uint64
		for _, s := range stores {
			if s.IsLeader() {
				epoch, _ = s.Propose(context.Background(), slots.Change{Op: slots.OpAddNode, Node: slots.Node{ID: strings.Repeat("a", 40)}})
			}
		}
		if epoch == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader committed the change")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		n := 0
		for _, s := range stores {
			if s.Topology().Epoch() == 1 {
				n++
			}
		}
		if n == 3 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the members did not all apply the change")
}

// TestRequestsApplyOnce: a change sent again with the same request ID gets its first
// result and changes nothing; the memory of requests survives a snapshot; a bare
// topology snapshot (the first format) still restores.
func TestRequestsApplyOnce(t *testing.T) {
	f := NewFSM()
	add := slots.Change{Op: slots.OpAddNode, Node: slots.Node{ID: nid('a')}, Req: "r1"}
	bad := slots.Change{Op: slots.OpRemoveNode, NodeID: nid('z'), Req: "r2"}
	rs := applyAll(f, 1, []slots.Change{add, add, bad, bad, add})
	if rs[0].Epoch != 1 || rs[1] != rs[0] || rs[4] != rs[0] || rs[2].Err == nil || rs[3].Err.Error() != rs[2].Err.Error() || f.Topology().Epoch() != 1 {
		t.Fatalf("results %+v, epoch %d", rs, f.Topology().Epoch())
	}
	snap, _ := f.Snapshot()
	sink := &memSink{}
	snap.Persist(sink)
	g := NewFSM()
	if err := g.Restore(io.NopCloser(&sink.Buffer)); err != nil {
		t.Fatal(err)
	}
	if r := applyAll(g, 6, []slots.Change{add})[0]; r.Epoch != 1 || g.Topology().Epoch() != 1 {
		t.Errorf("after a restore, the request applied again: %+v", r)
	}
	old := NewFSM()
	if err := old.Restore(io.NopCloser(strings.NewReader(string(f.Topology().Encode())))); err != nil || old.Topology().Epoch() != 1 {
		t.Errorf("a bare topology snapshot: %v", err)
	}
}

// TestGroupOps: the standalone group changes, and how the FSM refuses wrong ones.
func TestGroupOps(t *testing.T) {
	f := NewFSM()
	apply := func(op int, g Group) Result {
		return f.Apply(&raft.Log{Type: raft.LogCommand, Data: groupChange{Op: op, Group: g}.entry()}).(Result)
	}
	if r := apply(opMonitor, Group{Name: "m", Primary: "10.0.0.1:6379", Quorum: 2}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := apply(opMonitor, Group{Name: "m", Primary: "10.0.0.9:6379", Quorum: 2}); r.Err == nil || r.Err.Error() != "ERR Duplicated master name" {
		t.Errorf("MONITOR twice: %v", r.Err)
	}
	apply(opGroupMembers, Group{Name: "m", Replicas: []string{"10.0.0.2:6379", "10.0.0.1:6379", "10.0.0.3:6379"}})
	if r := apply(opGroupPrimary, Group{Name: "m", Primary: "10.0.0.7:6379"}); r.Err == nil {
		t.Errorf("a failover to a stranger applied")
	}
	if r := apply(opGroupPrimary, Group{Name: "m", Primary: "10.0.0.3:6379"}); r.Err != nil || r.Epoch != 1 {
		t.Fatalf("failover: %+v", r)
	}
	g := f.Groups()[0]
	if g.Primary != "10.0.0.3:6379" || g.Epoch != 1 || !slices.Equal(g.Replicas, []string{"10.0.0.2:6379", "10.0.0.1:6379"}) {
		t.Errorf("after the failover: %+v", g)
	}
	apply(opGroupSet, Group{Name: "m", Quorum: 1, DownAfterMs: 500})
	if g := f.Groups()[0]; g.Quorum != 1 || g.DownAfterMs != 500 || g.Primary != "10.0.0.3:6379" {
		t.Errorf("after SET: %+v", g)
	}
	if r := apply(opRemove, Group{Name: "m"}); r.Err != nil || len(f.Groups()) != 0 {
		t.Errorf("REMOVE: %v %v", r.Err, f.Groups())
	}
	if r := apply(opRemove, Group{Name: "m"}); r.Err == nil || r.Err.Error() != "ERR No such master with that name" {
		t.Errorf("REMOVE twice: %v", r.Err)
	}
}
