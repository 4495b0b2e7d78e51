package gossip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/slots"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func start(t *testing.T, name, secret string, join []string) *Gossip {
	t.Helper()
	g, err := Start(Config{Name: name, Bind: "127.0.0.1:0", Secret: secret, PushPull: 200 * time.Millisecond,
		Meta: func() []byte { return []byte("meta-" + name) }}, join)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// topology at epoch e: one shard owning every slot, its primary named after e.
func topology(t *testing.T, e uint64) *slots.Topology {
	id := strings.Repeat("a", 40)
	top, err := slots.New(e, []slots.Node{{ID: id, IP: "127.0.0.1", Port: int(7000 + e)}},
		[]slots.Shard{{ID: strings.Repeat("1", 40), Primary: id, Slots: slots.Ranges{{Start: 0, End: slots.Count - 1}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// TestSpread: a topology published on one member reaches all; an older one is not
// adopted; a member joining later gets the current one; the members see each other's
// metadata; a process without the cluster secret cannot join.
func TestSpread(t *testing.T) {
	first := start(t, "m0", "s3cret", nil)
	members := []*Gossip{first}
	var adopted atomic.Int64
	for i := 1; i < 5; i++ {
		members = append(members, start(t, fmt.Sprint("m", i), "s3cret", []string{first.Addr()}))
	}
	members[4].cfg.OnTopology = func(*slots.Topology) { adopted.Add(1) }
	waitFor(t, "every member to see the others", func() bool {
		for _, m := range members {
			if len(m.Members()) != 5 {
				return false
			}
		}
		return true
	})
	for _, mb := range members[1].Members() {
		if string(mb.Meta) != "meta-"+mb.Name {
			t.Errorf("member %s meta %q", mb.Name, mb.Meta)
		}
	}
	members[2].Publish(topology(t, 5))
	waitFor(t, "epoch 5 everywhere", func() bool {
		for _, m := range members {
			if m.Topology().Epoch() != 5 {
				return false
			}
		}
		return true
	})
	members[3].Publish(topology(t, 4)) // older: nobody takes it, not even its publisher
	members[1].Publish(topology(t, 6))
	waitFor(t, "epoch 6 everywhere", func() bool {
		for _, m := range members {
			if m.Topology().Epoch() != 6 {
				return false
			}
		}
		return true
	})
	if n := adopted.Load(); n != 2 {
		t.Errorf("member 4 adopted %d topologies, want 2 (epochs 5 and 6)", n)
	}
	late := start(t, "late", "s3cret", []string{members[3].Addr()})
	waitFor(t, "the late member to get epoch 6", func() bool { return late.Topology().Epoch() == 6 })

	for _, secret := range []string{"wrong", ""} {
		g, err := Start(Config{Name: "intruder", Bind: "127.0.0.1:0", Secret: secret}, []string{first.Addr()})
		if err == nil {
			g.Close()
			t.Errorf("a member with secret %q joined", secret)
		}
	}
	for _, m := range first.Members() {
		if m.Name == "intruder" {
			t.Error("an intruder is a member")
		}
	}
}

func TestMalformedMessages(t *testing.T) {
	g := start(t, "m0", "x", nil)
	for _, b := range [][]byte{nil, {0}, {msgTopology}, {msgTopology, '{'}, {msgNotice, 1}, {msgWant}, {99, 1, 2}} {
		g.receive(b)
	}
	if g.Topology().Epoch() != 0 {
		t.Error("a malformed message changed the topology")
	}
}

func FuzzReceive(f *testing.F) {
	f.Add(append([]byte{msgTopology}, topology(&testing.T{}, 3).Encode()...))
	f.Add(noticeMsg(9, "someone"))
	g := &Gossip{}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && b[0] != msgTopology {
			return // notices and requests need a running member
		}
		g.top, _ = slots.New(0, nil, nil, nil)
		g.receive(b)
	})
}

// BenchmarkSpread10 measures how long a published topology takes to reach every
// member of a 10-member cluster (the goal: within 500 ms).
func BenchmarkSpread10(b *testing.B) {
	t := &testing.T{}
	first, err := Start(Config{Name: "m0", Bind: "127.0.0.1:0", Secret: "s"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer first.Close()
	members := []*Gossip{first}
	for i := 1; i < 10; i++ {
		g, err := Start(Config{Name: fmt.Sprint("m", i), Bind: "127.0.0.1:0", Secret: "s"}, []string{first.Addr()})
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close()
		members = append(members, g)
	}
	for _, m := range members {
		for len(m.Members()) != 10 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	epoch := uint64(0)
	var total time.Duration
	for b.Loop() {
		epoch++
		top := topology(t, epoch)
		start := time.Now()
		members[int(epoch)%10].Publish(top)
		for _, m := range members {
			for m.Topology().Epoch() < epoch {
				time.Sleep(100 * time.Microsecond)
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(epoch), "ms/spread")
}

// FuzzMeta: any member metadata parses (as a node's, a sentinel's or neither) without
// panicking, and a node's re-encodes to what parses the same.
func FuzzMeta(f *testing.F) {
	f.Add(NodeMeta{ID: "a", Role: "master", Shard: "s", Addr: "1.2.3.4:5", Offset: 7}.Encode())
	f.Add(SentinelMeta("1.2.3.4:26379", "1.2.3.4:27379"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseSentinelMeta(b)
		m, ok := ParseNodeMeta(b)
		if !ok {
			return
		}
		if again, ok := ParseNodeMeta(m.Encode()); !ok || again != m {
			t.Fatalf("%q: %+v re-encodes to %+v", b, m, again)
		}
	})
}

// recorder is a Faults that lets everything through and records the addresses a
// member dialed and sent packets to.
type recorder struct {
	mu      sync.Mutex
	dialed  map[string]bool
	packets map[string]bool
}

func (r *recorder) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.dialed[addr] = true
	r.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func (r *recorder) Drop(addr string, outbound bool) bool {
	if outbound {
		r.mu.Lock()
		r.packets[addr] = true
		r.mu.Unlock()
	}
	return false
}

func (r *recorder) saw(addr string) (dialed, sent bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dialed[addr], r.packets[addr]
}

// TestFaultsCarryEverything: a member's streams (a published topology, push/pull) and
// packets all go through its Faults — memberlist prefers a transport's node-aware
// methods, and none may bypass the fault injection.
func TestFaultsCarryEverything(t *testing.T) {
	rec := &recorder{dialed: map[string]bool{}, packets: map[string]bool{}}
	a, err := Start(Config{Name: "a", Bind: "127.0.0.1:0", Secret: "s3cret", PushPull: 200 * time.Millisecond, Faults: rec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := start(t, "b", "s3cret", []string{a.Addr()})
	a.Publish(topology(t, 2))
	waitFor(t, "the topology published on b", func() bool { return b.Topology().Epoch() == 2 })
	waitFor(t, "a stream dialed and a packet sent to b through the faults", func() bool {
		dialed, sent := rec.saw(b.Addr())
		return dialed && sent
	})
}

// TestJoinOffersTopology: members that met before any of them held a topology get it
// as soon as a member holding one joins any of them — not at the next push/pull (a
// whole cluster restarting rejoins that way).
func TestJoinOffersTopology(t *testing.T) {
	slow := func(name string, join []string) *Gossip {
		g, err := Start(Config{Name: name, Bind: "127.0.0.1:0", Secret: "s3cret", PushPull: time.Hour}, join)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		return g
	}
	a := slow("a", nil)
	b := slow("b", []string{a.Addr()})
	holder := slow("holder", nil)
	holder.adopt(topology(t, 7)) // (as at its own join: adopted, not published — no notice queued)
	if err := holder.Join(b.Addr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 7 on both members", func() bool { return a.Topology().Epoch() == 7 && b.Topology().Epoch() == 7 })
}
