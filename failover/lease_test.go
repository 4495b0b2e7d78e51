package failover

import (
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/slots"
)

// TestLeaseVotes: a sentinel votes a node down only when it finds it down, no lease
// it granted runs, it has run for a lease's length and seen the group's voters
// unchanged for two; a vote fences that
// primaryship (no lease until fenceFor passed) but not a later one.
func TestLeaseVotes(t *testing.T) {
	const lease, fenceFor = 50 * time.Millisecond, time.Hour
	l := newLeases()
	if l.vote("n", 7, true, lease, 2*lease, fenceFor, true) {
		t.Fatal("voted down within its first lease")
	}
	l.started = time.Now().Add(-lease)
	if l.vote("n", 7, false, lease, 2*lease, fenceFor, true) {
		t.Fatal("voted down a node it does not find down")
	}
	if !l.grant("n", 5, lease) {
		t.Fatal("no lease for an unfenced primary")
	}
	if l.vote("n", 7, true, lease, 2*lease, fenceFor, true) {
		t.Fatal("voted down a node holding its lease")
	}
	l.granted["n"] = time.Now().Add(-time.Millisecond) // the lease ran out
	if !l.vote("n", 7, true, lease, 2*lease, fenceFor, false) {
		t.Fatal("no down vote once the lease ran out")
	}
	if !l.grant("n", 5, lease) {
		t.Fatal("a vote without fence fenced")
	}
	l.granted["n"] = time.Now().Add(-time.Millisecond)
	if !l.vote("n", 7, true, lease, 2*lease, fenceFor, true) {
		t.Fatal("no down vote")
	}
	if l.grant("n", 5, lease) || l.grant("n", 7, lease) {
		t.Fatal("a lease for the primaryship voted down")
	}
	if !l.grant("n", 8, lease) {
		t.Fatal("no lease for the node promoted again after the vote")
	}

	// A change of the group's voters holds down votes for two leases' length.
	l.granted["m"] = time.Now().Add(-time.Millisecond)
	l.observe([]string{"s1", "s2", "s3"})
	if l.vote("m", 9, true, lease, 2*lease, fenceFor, false) {
		t.Fatal("voted down within two leases of a membership change")
	}
	l.changed = time.Now().Add(-2 * lease)
	l.observe([]string{"s3", "s2", "s1"}) // the same voters again
	if !l.vote("m", 9, true, lease, 2*lease, fenceFor, false) {
		t.Fatal("no down vote two leases after the membership change")
	}
}

// TestChoose: the replica promoted is the most advanced eligible one.
func TestChoose(t *testing.T) {
	s := &Sentinel{cfg: SentinelConfig{}.withDefaults()}
	s.probes = &prober{s: s, nodes: map[string]*probeState{}}
	now := time.Now()
	add := func(id string, in replInfo) {
		s.probes.nodes[id] = &probeState{since: now, lastOK: now, info: in}
	}
	add("p", replInfo{Role: "master", Offset: 100})
	add("a", replInfo{Role: "slave", Offset: 90, Priority: 100, LinkDown: 2})
	add("b", replInfo{Role: "slave", Offset: 95, Priority: 100, LinkDown: 2})
	add("c", replInfo{Role: "slave", Offset: 99, Priority: 0, LinkDown: 2})     // priority 0
	add("d", replInfo{Role: "slave", Offset: 99, Priority: 100, Syncing: true}) // mid full sync
	add("e", replInfo{Role: "slave", Offset: 99, Priority: 100, LinkDown: 60})  // disconnected too long
	add("f", replInfo{Role: "master", Offset: 99, Priority: 100})               // not replicating
	add("g", replInfo{Role: "slave", Offset: 0, Priority: 100, LinkDown: 1})    // never synchronized
	s.probes.nodes["h"] = &probeState{since: now.Add(-time.Hour), lastOK: now.Add(-time.Minute),
		info: replInfo{Role: "slave", Offset: 99, Priority: 100}} // down
	alive := func(string) bool { return true }
	sh := shardOf("p", "a", "b", "c", "d", "e", "f", "g", "h")
	got, err := s.chooseWith(sh, alive)
	if err != nil || got != "b" {
		t.Fatalf("chose %q (%v), want b", got, err)
	}
	add("a", replInfo{Role: "slave", Offset: 95, Priority: 10, LinkDown: 2})
	if got, _ := s.chooseWith(sh, alive); got != "a" {
		t.Fatalf("tie on offset: chose %q, want a (lower priority)", got)
	}
	// shard-durability safe: no promotion while a replica is silent, or when the
	// most advanced replica is not eligible.
	s.probes.nodes["p"].info.Safe = true
	if _, err := s.chooseWith(shardOf("p", "a", "b", "h"), alive); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("safe mode with a silent replica: %v", err)
	}
	if _, err := s.chooseWith(shardOf("p", "a", "b", "c"), alive); err == nil || !strings.Contains(err.Error(), "ahead") {
		t.Errorf("safe mode with a priority-0 replica ahead: %v", err)
	}
	if got, err := s.chooseWith(shardOf("p", "a", "b"), alive); err != nil || got != "a" {
		t.Errorf("safe mode: chose %q (%v), want a", got, err)
	}
	s.probes.nodes["p"].info.Safe = false
	_, err = s.chooseWith(shardOf("p", "c", "d", "e", "f", "g", "h"), alive)
	for _, why := range []string{"replica-priority 0", "in a full sync", "disconnected for 60 s", "not replicating",
		"never synchronized", "down"} {
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("no good replica: %v lacks %q", err, why)
		}
	}
}

func shardOf(primary string, replicas ...string) slots.Shard {
	return slots.Shard{ID: "s", Primary: primary, Replicas: replicas}
}
