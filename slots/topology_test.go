package slots

import (
	"slices"
	"strings"
	"testing"
)

func TestRanges(t *testing.T) {
	rs, err := ParseRanges("0-5460 5462 5461 10000-10001 100-200")
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.String(); got != "0-5462 10000-10001" {
		t.Errorf("ParseRanges merged to %q", got)
	}
	if rs.Len() != 5465 || !rs.Contains(5462) || rs.Contains(5463) || !rs.Contains(10001) || rs.Contains(16383) {
		t.Errorf("Len %d / Contains wrong for %v", rs.Len(), rs)
	}
	if got := rs.Minus(RangesOf(0, 5462, 10000)).String(); got != "1-5461 10001" {
		t.Errorf("Minus = %q", got)
	}
	if got := RangesOf(3, 1, 2, 9).Union(RangesOf(4, 16383)).String(); got != "1-4 9 16383" {
		t.Errorf("Union = %q", got)
	}
	for _, bad := range []string{"16384", "-1", "5-3", "a", "1-x"} {
		if _, err := ParseRanges(bad); err == nil {
			t.Errorf("ParseRanges(%q) accepted", bad)
		}
	}
	if got := (Ranges(nil)).String(); got != "" {
		t.Errorf("empty = %q", got)
	}
}

func id(c byte) string { return strings.Repeat(string(c), 40) }

// lab is three shards A (slots 0-5460), B (5461-10922), C (10923-16383), each a
// primary and a replica; slot 100 migrating from A to B's primary.
func lab(t *testing.T) *Topology {
	t.Helper()
	var nodes []Node
	for i, c := range "abcdef" {
		nodes = append(nodes, Node{ID: id(byte(c)), IP: "10.0.0." + string('1'+rune(i)), Port: 7000 + i, BusPort: 17000 + i,
			Hostname: "node-" + string(c)})
	}
	shards := []Shard{
		{ID: id('1'), Primary: id('a'), Replicas: []string{id('d')}, Slots: Ranges{{0, 5460}}},
		{ID: id('2'), Primary: id('b'), Replicas: []string{id('e')}, Slots: Ranges{{5461, 10922}}},
		{ID: id('3'), Primary: id('c'), Replicas: []string{id('f')}, Slots: Ranges{{10923, 16383}}},
	}
	top, err := New(7, nodes, shards, []Migration{{Slot: 100, Source: id('a'), Target: id('b')}})
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func TestTopologyChecks(t *testing.T) {
	top := lab(t)
	more, err := top.Apply(Change{Op: OpSetMigration, Slots: "16000 3 12000", NodeID: id('e')})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range more.Migrations() {
		got = append(got, m.Slot)
	}
	if !slices.Equal(got, []int{3, 100, 12000, 16000}) {
		t.Errorf("Migrations: slots %v, want them in order", got)
	}
	if !top.Covered() || top.Epoch() != 7 || len(top.Nodes()) != 6 {
		t.Errorf("lab: covered %v epoch %d nodes %d", top.Covered(), top.Epoch(), len(top.Nodes()))
	}
	if s, ok := top.Owner(5461); !ok || s.Primary != id('b') {
		t.Errorf("Owner(5461) = %v %v", s, ok)
	}
	if s, ok := top.ShardOf(id('f')); !ok || s.ID != id('3') {
		t.Errorf("ShardOf(f) = %v %v", s, ok)
	}
	n := []Node{{ID: id('a')}, {ID: id('b')}}
	bad := []struct {
		name   string
		nodes  []Node
		shards []Shard
		migr   []Migration
	}{
		{"duplicate node", []Node{{ID: id('a')}, {ID: id('a')}}, nil, nil},
		{"unknown member", n, []Shard{{ID: id('1'), Primary: id('z')}}, nil},
		{"node in two shards", n, []Shard{{ID: id('1'), Primary: id('a')}, {ID: id('2'), Primary: id('b'), Replicas: []string{id('a')}}}, nil},
		{"slot owned twice", n, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, 10}}}, {ID: id('2'), Primary: id('b'), Slots: Ranges{{10, 20}}}}, nil},
		{"slot out of range", n, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, Count}}}}, nil},
		{"migration from a non-owner", n, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, 10}}}}, []Migration{{Slot: 5, Source: id('b'), Target: id('a')}}},
		{"migration to nowhere", n, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, 10}}}}, []Migration{{Slot: 5, Source: id('a'), Target: id('z')}}},
	}
	for _, b := range bad {
		if _, err := New(1, b.nodes, b.shards, b.migr); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	partial, err := New(1, n, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, 100}}}}, nil)
	if err != nil || partial.Covered() {
		t.Errorf("a partly covered topology: covered %v, %v", partial.Covered(), err)
	}
}

// TestRoute: one case per outcome of Redis's getNodeByQuery, seen from the lab's nodes.
// "foo" is in slot 12182 (shard 3), "bar" in 5061 (shard 1), "{a}…" with "a"; keys in
// slot 100 (migrating from a to b) are found by search.
func TestRoute(t *testing.T) {
	top := lab(t)
	k := func(ks ...string) [][]byte {
		out := make([][]byte, len(ks))
		for i, s := range ks {
			out[i] = []byte(s)
		}
		return out
	}
	slot100 := ""
	for i := 0; slot100 == ""; i++ {
		if key := "m" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)); KeySlot([]byte(key)) == 100 {
			slot100 = key
		}
	}
	present := map[string]bool{"{" + slot100 + "}here": true}
	exists := func(key []byte) bool { return present[string(key)] }
	here, gone, gone2 := "{"+slot100+"}here", "{"+slot100+"}gone", "{"+slot100+"}gone2"
	a, b, c, d := State{Self: id('a')}, State{Self: id('b')}, State{Self: id('c')}, State{Self: id('d')}
	cases := []struct {
		name string
		st   State
		q    Query
		want string
	}{
		{"no keys", a, Query{}, ""},
		{"own slot", c, Query{Keys: k("foo")}, ""},
		{"moved", a, Query{Keys: k("foo")}, "MOVED 12182 10.0.0.3:7002"},
		{"same slot", c, Query{Keys: k("{a}x", "{a}y", "a")}, ""},
		{"crossslot", c, Query{Keys: k("foo", "bar")}, "CROSSSLOT Keys in request don't hash to the same slot"},
		{"crossslot before moved", a, Query{Keys: k("foo", "bar")}, "CROSSSLOT Keys in request don't hash to the same slot"},
		{"replica without READONLY", d, Query{Keys: k("bar")}, "MOVED 5061 10.0.0.1:7000"},
		{"replica read with READONLY", d, Query{Keys: k("bar"), ReadOnly: true}, ""},
		{"replica write with READONLY", d, Query{Keys: k("bar"), ReadOnly: true, Write: true}, "MOVED 5061 10.0.0.1:7000"},
		{"replica EXEC of writes with READONLY", d, Query{Keys: k("bar"), ReadOnly: true, TxWrite: true}, "MOVED 5061 10.0.0.1:7000"},
		{"replica of another shard with READONLY", d, Query{Keys: k("foo"), ReadOnly: true}, "MOVED 12182 10.0.0.3:7002"},
		{"shard pubsub on a replica", d, Query{Keys: k("bar"), ShardPubSub: true}, ""},
		{"migrating, key here", a, Query{Keys: k(here), Exists: exists}, ""},
		{"migrating, key gone", a, Query{Keys: k(gone), Exists: exists}, "ASK 100 10.0.0.2:7001"},
		{"migrating, some keys gone", a, Query{Keys: k(here, gone), Exists: exists}, "TRYAGAIN Multiple keys request during rehashing of slot"},
		{"migrating, MIGRATE", a, Query{Keys: k(gone), Exists: exists, Migrate: true}, ""},
		{"importing without ASKING", b, Query{Keys: k(gone), Exists: exists}, "MOVED 100 10.0.0.1:7000"},
		{"importing with ASKING", b, Query{Keys: k(gone), Exists: exists, Asking: true}, ""},
		{"importing, one key twice, ASKING", b, Query{Keys: k(gone, gone), Exists: exists, Asking: true}, ""},
		{"importing, keys missing, ASKING", b, Query{Keys: k(gone, gone2), Exists: exists, Asking: true}, "TRYAGAIN Multiple keys request during rehashing of slot"},
		{"down", State{Self: id('c'), Down: true}, Query{Keys: k("foo")}, "CLUSTERDOWN The cluster is down"},
		{"down, no keys", State{Self: id('c'), Down: true}, Query{}, ""},
		{"down, reads allowed, read", State{Self: id('c'), Down: true, AllowReadsWhenDown: true}, Query{Keys: k("foo")}, ""},
		{"down, reads allowed, write", State{Self: id('c'), Down: true, AllowReadsWhenDown: true}, Query{Keys: k("foo"), Write: true}, "CLUSTERDOWN The cluster is down and only accepts read commands"},
		{"down, shard pubsub", State{Self: id('c'), Down: true, AllowReadsWhenDown: true}, Query{Keys: k("foo"), ShardPubSub: true}, "CLUSTERDOWN The cluster is down"},
		{"down, shard pubsub allowed", State{Self: id('c'), Down: true, AllowPubSubShardWhenDown: true}, Query{Keys: k("foo"), ShardPubSub: true}, ""},
	}
	for _, tc := range cases {
		if got := top.Route(tc.st, tc.q).Error(EndpointIP, false); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	unbound, _ := New(1, []Node{{ID: id('a')}}, []Shard{{ID: id('1'), Primary: id('a'), Slots: Ranges{{0, 100}}}}, nil)
	if got := unbound.Route(State{Self: id('a')}, Query{Keys: k("foo")}).Error(EndpointIP, false); got != "CLUSTERDOWN Hash slot not served" {
		t.Errorf("unassigned slot: %q", got)
	}
	moved := top.Route(a, Query{Keys: k("foo")})
	for _, e := range []struct {
		ep   Endpoint
		tls  bool
		want string
	}{
		{EndpointHostname, false, "MOVED 12182 node-c:7002"},
		{EndpointUnknown, false, "MOVED 12182 ?:7002"},
	} {
		if got := moved.Error(e.ep, e.tls); got != e.want {
			t.Errorf("endpoint %d: %q, want %q", e.ep, got, e.want)
		}
	}
}

// TestCodec: a topology survives its wire form; malformed or inconsistent input is
// refused.
func TestRedirectBlocked(t *testing.T) {
	top := lab(t) // slot 100 migrates from a to b
	for _, c := range []struct {
		self     string
		slot     int
		readOnly bool
		down     bool
		want     string
	}{
		{id('a'), 200, false, false, "serve"}, // its own
		{id('b'), 100, false, false, "serve"}, // importing it
		{id('b'), 200, false, false, "MOVED 200 10.0.0.1:7000"},
		{id('d'), 200, false, false, "MOVED 200 10.0.0.1:7000"}, // a replica, not READONLY
		{id('d'), 200, true, false, "serve"},                    // READONLY read on its primary's slot
		{id('e'), 200, true, false, "MOVED 200 10.0.0.1:7000"},  // a replica of another shard
		{id('a'), 200, false, true, "CLUSTERDOWN The cluster is down"},
	} {
		d := top.RedirectBlocked(State{Self: c.self, Down: c.down}, c.slot, c.readOnly)
		got := "serve"
		if d.Outcome != Serve {
			got = d.Error(EndpointIP, false)
		}
		if got != c.want {
			t.Errorf("%+v: %s", c, got)
		}
	}
	dropped, err := top.Apply(Change{Op: OpDropSlots, Shard: id('1'), Slots: "200"})
	if err != nil {
		t.Fatal(err)
	}
	if d := dropped.RedirectBlocked(State{Self: id('a')}, 200, false); d.Error(EndpointIP, false) != "CLUSTERDOWN Hash slot not served" {
		t.Errorf("an unowned slot: %+v", d)
	}
}

func TestCodec(t *testing.T) {
	top := lab(t)
	b := top.Encode()
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Encode()) != string(b) {
		t.Errorf("round trip changed the topology:\n%s\n%s", b, back.Encode())
	}
	if m, ok := back.Migration(100); !ok || m.Target != id('b') || back.Epoch() != 7 {
		t.Errorf("decoded: migration %v %v, epoch %d", m, ok, back.Epoch())
	}
	// The wire form is made once per topology: a change's result has its own.
	next, err := top.Apply(Change{Op: OpClearMigration, Slots: "100"})
	if err != nil {
		t.Fatal(err)
	}
	if string(top.Encode()) != string(b) || string(next.Encode()) == string(b) {
		t.Errorf("the wire forms of two epochs: %s and %s", b, next.Encode())
	}
	again, err := Decode(next.Encode())
	if err != nil || again.Epoch() != next.Epoch() {
		t.Errorf("the next epoch decoded: %v, %v", again, err)
	}
	// The same bytes again (a relayed broadcast) are not decoded again; a caller's
	// buffer reused for other bytes does not change what was decoded.
	buf := append(make([]byte, 0, len(b)+len(next.Encode())), next.Encode()...)
	if same, err := Decode(buf); err != nil || same != again {
		t.Errorf("decoding the same wire form twice: %p then %p (%v)", again, same, err)
	}
	buf = append(buf[:0], b...) // (the same array)
	if back, err = Decode(buf); err != nil || back == again || back.Epoch() != 7 || again.Epoch() != next.Epoch() {
		t.Errorf("decoding another wire form after it: epoch %d (%v)", back.Epoch(), err)
	}
	for wire, want := range map[string]uint64{string(b): 7, string(next.Encode()): 8, `{"epoch":12}`: 12,
		`{"epoch":x}`: 0, `{"epoch":-1}`: 0, `{ "epoch":1}`: 0, `{"epoch":99999999999999999999}`: 0, ``: 0} {
		if e, ok := WireEpoch([]byte(wire)); e != want || ok != (want != 0) {
			t.Errorf("WireEpoch(%.40q) = %d, %v", wire, e, ok)
		}
	}
	for _, bad := range []string{
		``, `{`, `[]`, `{"epoch":-1}`,
		`{"epoch":1,"nodes":[{"id":"a"}],"shards":[{"id":"s","primary":"a","slots":"5-3"}]}`,
		`{"epoch":1,"nodes":[{"id":"a"}],"shards":[{"id":"s","primary":"a","slots":"9 1"}]}`,
		`{"epoch":1,"nodes":[{"id":"a"}],"shards":[{"id":"s","primary":"b","slots":"1"}]}`,
		`{"epoch":1,"nodes":[{"id":"a"},{"id":"b"}],"shards":[{"id":"s","primary":"a","slots":"1"},{"id":"t","primary":"b","slots":"1"}]}`,
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(lab(&testing.T{}).Encode())
	f.Add([]byte(`{"epoch":1,"nodes":[{"id":"a"}],"shards":[{"id":"s","primary":"a","slots":"0-16383"}]}`))
	withMoves := []byte(`{"epoch":3,"nodes":[{"id":"a"},{"id":"b"}],"shards":[{"id":"s","primary":"a","slots":"0-100"},` +
		`{"id":"t","primary":"b","slots":"101-200"}],"moves":[{"id":"m","from":"s","to":"t","phase":"streaming","slots":"0-10"}],` +
		`"ended_moves":[{"id":"n","from":"s","to":"t","phase":"done","slots":"150"}]}`)
	if top, err := Decode(withMoves); err != nil || len(top.Moves()) != 1 || len(top.EndedMoves()) != 1 {
		f.Fatalf("a topology with moves: %v", err)
	}
	f.Add(withMoves)
	f.Fuzz(func(t *testing.T, b []byte) {
		top, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes, encodes to something that decodes to the same.
		again, err := Decode(top.Encode())
		if err != nil || string(again.Encode()) != string(top.Encode()) {
			t.Fatalf("re-decoding %q: %v", b, err)
		}
	})
}

// FuzzDecodeEntry: a Raft log entry of the topology decodes without panicking, and
// what decodes encodes to an entry that decodes to the same change.
func FuzzDecodeEntry(f *testing.F) {
	for _, c := range []Change{
		{Op: OpAddNode, Node: Node{ID: "a", IP: "10.0.0.1", Port: 7000, BusPort: 17000}},
		{Op: OpAssignSlots, Shard: "s", Slots: "0-100 200"},
		{Op: OpBeginMove, Move: "m", Shard: "s", To: "t", Slots: "5"},
		{Op: OpEndMove, Move: "m", Phase: MoveDone, Primary: "a", NodeID: "b", Req: "r1"},
	} {
		f.Add(c.Entry())
	}
	f.Add([]byte{})
	f.Add([]byte{200, '{', '}'})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeEntry(b)
		if err != nil {
			return
		}
		again, err := DecodeEntry(c.Entry())
		if err != nil || string(again.JSON()) != string(c.JSON()) {
			t.Fatalf("%q: re-decoded %+v (%v), want %+v", b, again, err, c)
		}
	})
}
