package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
)

// slotKeys holds, for each slot, a short key hashing to it (keyInSlot).
var slotKeys = sync.OnceValue(func() []string {
	out, left := make([]string, slots.Count), slots.Count
	for i := 0; left > 0; i++ {
		k := strconv.Itoa(i)
		if sl := slots.KeySlot([]byte(k)); out[sl] == "" {
			out[sl] = k
			left--
		}
	}
	return out
})

// keyInSlot returns a key of slot; "{key}:suffix" keys share its slot.
func keyInSlot(slot int) string { return "{" + slotKeys()[slot] + "}" }

// fillSlots sets n keys spread over slots first..first+spread-1 (fillKey), key i to
// val(i), in pipelines of 10,000.
func fillSlots(t *testing.T, cc *redis.ClusterClient, n, first, spread int, val func(i int) any) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 10000 {
		// Sent again while a shard refuses writes for a moment (a write lease of the
		// tests' 200 ms renewed late on a loaded machine): SET is idempotent.
		waitUntil(t, "the keys written", func() bool {
			_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := start; i < min(start+10000, n); i++ {
					p.Set(ctx, fillKey(i, first, spread), val(i), 0)
				}
				return nil
			})
			return err == nil
		})
	}
}

// fillKey is key i of fillSlots: in slot first + i%spread.
func fillKey(i, first, spread int) string { return fmt.Sprint(keyInSlot(first+i%spread), ":", i) }

// itself is key i's value i.
func itself(i int) any { return i }

// waitWritable waits until cc can write to the first and the last slot (every shard
// of a freshly created cluster of two holds its write lease).
func (c *Cluster) waitWritable(cc *redis.ClusterClient) {
	c.t.Helper()
	c.waitFor("the shards taking writes", func() bool {
		for _, slot := range []int{0, slots.Count - 1} {
			k := keyInSlot(slot) + ":probe"
			if cc.Set(context.Background(), k, 1, 0).Err() != nil || cc.Del(context.Background(), k).Err() != nil {
				return false
			}
		}
		return true
	})
}

// waitMoveEnd waits until the sentinels' topology lists move id as ended and
// returns it.
func (c *Cluster) waitMoveEnd(id string) *slots.Topology {
	c.t.Helper()
	var top *slots.Topology
	c.waitFor("move "+id+" ended", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var err error
		top, err = sentinelapi.Topology(ctx, c.sentinelAddrs())
		if err != nil {
			return false
		}
		// Among the ended moves, not merely absent: a sentinel that restarted may answer
		// alone with a topology from before the move began.
		return slices.ContainsFunc(top.EndedMoves(), func(m slots.Move) bool { return m.ID == id })
	})
	return top
}

// TestMoveSlots: shoal's own migration moves slots with their keys — strings, a big
// hash, a sorted set, keys with TTLs — from one shard to another in one hand-off
// while a client keeps writing to the moving slots: the client sees no error and no
// redirection it cannot follow, every write it had acknowledged is on the target, and
// the source keeps no copy.
func TestMoveSlots(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 4)
	c.Create(1) // shard 0: nodes 0 (+1), slots 0-8191; shard 1: nodes 2 (+3)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}, MaxRedirects: 8})
	defer cc.Close()
	c.waitWritable(cc)
	const moving = "100-199"
	tag := keyInSlot(150)
	fillSlots(t, cc, 2000, 100, 100, itself)
	big := make([]any, 0, 40000)
	for i := range 20000 {
		big = append(big, fmt.Sprint("f", i), i)
	}
	if err := cc.HSet(ctx, tag+"hash", big...).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		cc.ZAdd(ctx, tag+"zset", redis.Z{Score: float64(i), Member: fmt.Sprint("m", i)})
	}
	cc.Set(ctx, tag+"ttl", "x", time.Hour)

	// A writer to the moving slots throughout.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var acked []int
	var writeErr atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if err := cc.RPush(ctx, tag+"list", i).Err(); err != nil {
				writeErr.Store(err)
				return
			}
			acked = append(acked, i)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	c.Propose(slots.Change{Op: slots.OpBeginMove, Move: "m1", Shard: ShardID(0), To: ShardID(1), Slots: moving})
	top := c.waitMoveEnd("m1")
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if err, _ := writeErr.Load().(error); err != nil {
		t.Fatalf("a write during the move: %v", err)
	}
	if sh, _ := top.Owner(150); sh.ID != ShardID(1) {
		t.Fatalf("slot 150 belongs to %s after the move", sh.ID)
	}
	target, source := c.Client(c.Nodes[2]), c.Client(c.Nodes[0])
	if n := target.HLen(ctx, tag+"hash").Val(); n != 20000 {
		t.Errorf("HLEN on the target: %d", n)
	}
	if n := target.ZCard(ctx, tag+"zset").Val(); n != 5000 {
		t.Errorf("ZCARD on the target: %d", n)
	}
	if ttl := target.TTL(ctx, tag+"ttl").Val(); ttl < 59*time.Minute {
		t.Errorf("TTL on the target: %v", ttl)
	}
	got, err := cc.LRange(ctx, tag+"list", 0, -1).Result()
	if err != nil || len(got) != len(acked) {
		t.Fatalf("the list after the move: %d elements, %d writes acknowledged (%v)", len(got), len(acked), err)
	}
	for i, v := range got {
		if v != strconv.Itoa(acked[i]) {
			t.Fatalf("list element %d: %s, want %d", i, v, acked[i])
		}
	}
	for i := range 2000 {
		if v, err := cc.Get(ctx, fillKey(i, 100, 100)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("key %d after the move: %q %v", i, v, err)
		}
	}
	c.waitFor("the source dropping the moved keys", func() bool {
		n, _ := source.Do(ctx, "CLUSTER", "COUNTKEYSINSLOT", "150").Int()
		return n == 0
	})
	t.Logf("%d writes to a moving slot acknowledged during the move", len(acked))
}

// TestMoveSourceFailover: the source's primary dies in the middle of a move; the
// sentinels promote its replica, which starts the move again and hands the slots
// off: every key arrives, once.
func TestMoveSourceFailover(t *testing.T) {
	ctx := context.Background()
	c := fastFailover(t, 3, 4, &SyncBuffer{})
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[2].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond})
	defer cc.Close()
	c.waitWritable(cc)
	const n = 30000
	fillSlots(t, cc, n, 0, 1000, itself)
	if got := c.Client(c.Nodes[0]).Do(ctx, "WAIT", "1", "5000").Val(); got != int64(1) {
		t.Fatalf("WAIT 1: %v", got)
	}
	c.Propose(slots.Change{Op: slots.OpBeginMove, Move: "mf", Shard: ShardID(0), To: ShardID(1), Slots: "0-999"})
	c.Nodes[0].Close() // the source's primary, mid-move (or just after)
	top := c.waitMoveEnd("mf")
	if sh, _ := top.Owner(500); sh.ID != ShardID(1) {
		t.Fatalf("slot 500 belongs to %s after the move", sh.ID)
	}
	c.waitFor("every key on the target", func() bool {
		return c.Client(c.Nodes[2]).DBSize(ctx).Val() == n
	})
	for i := range n {
		k := fillKey(i, 0, 1000)
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("%s after the move: %q %v", k, v, err)
		}
	}
}

// TestMoveCommands: CLUSTER MIGRATESLOTS starts a move (GETSLOTMIGRATIONS lists it
// with its progress on the source) that hands the slots off; CANCELSLOTMIGRATIONS
// rolls a move back: the slots and every key stay with the source, and the target
// drops what it had received.
func TestMoveCommands(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0) // node 0: 0-8191, node 1: 8192-16383
	src, dst := c.Client(c.Nodes[0]), c.Client(c.Nodes[1])
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}})
	defer cc.Close()
	c.waitWritable(cc)
	const n = 100000
	fillSlots(t, cc, n, 0, 2000, itself)
	for _, bad := range [][]any{
		{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "10"},                                      // no NODE
		{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "9000", "9001", "NODE", c.Nodes[1].ClusterID()}, // not its slots
		{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "10", "1", "NODE", c.Nodes[1].ClusterID()},      // bad range
		{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "10", "NODE", "nobody"},
	} {
		if err := src.Do(ctx, bad...).Err(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// A move cancelled at once: nothing changes hands.
	if err := src.Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "1999", "NODE", c.Nodes[1].ClusterID()).Err(); err != nil {
		t.Fatal(err)
	}
	list, err := src.Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
	if err != nil || len(list) != 1 {
		t.Fatalf("GETSLOTMIGRATIONS: %v %v", list, err)
	}
	if got, err := dst.Do(ctx, "CLUSTER", "CANCELSLOTMIGRATIONS").Int(); err != nil || got > 1 {
		t.Fatalf("CANCELSLOTMIGRATIONS: %d %v", got, err)
	}
	c.waitFor("no move under way", func() bool {
		l, err := src.Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
		return err == nil && len(l) == 1 && !strings.Contains(fmt.Sprint(l), "preparing") &&
			!strings.Contains(fmt.Sprint(l), "streaming") && !strings.Contains(fmt.Sprint(l), "catching-up")
	})
	c.waitFor("the target dropping what it received", func() bool {
		return dst.DBSize(ctx).Val() == 0 || c.clusterOwner(ctx, 0) == c.Nodes[1].ClusterID()
	})
	if owner := c.clusterOwner(ctx, 0); owner == c.Nodes[0].ClusterID() {
		if got := src.DBSize(ctx).Val(); got != n {
			t.Errorf("the source holds %d keys after the cancelled move, want %d", got, n)
		}
	}
	// shoal cluster cancel-moves: with nothing under way, nothing to do.
	var out bytes.Buffer
	if err := c.session(&out).CancelMoves(); err != nil || !strings.Contains(out.String(), "[OK] 0 moves rolled back") {
		t.Errorf("CancelMoves: %v\n%s", err, out.String())
	}
	// A move to the end, from whichever node has the slots now (the cancelled move may
	// have handed off before the cancel came; the node may follow that change a moment
	// after the sentinels committed it).
	var from, to int
	c.waitFor("the slots' owner starting a move", func() bool {
		from, to = 0, 1
		if c.clusterOwner(ctx, 1500) == c.Nodes[1].ClusterID() {
			from, to = 1, 0
		}
		err := c.Client(c.Nodes[from]).Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "1000", "1999", "NODE", c.Nodes[to].ClusterID()).Err()
		if err != nil && !strings.Contains(err.Error(), "are not this shard's") {
			t.Fatal(err)
		}
		return err == nil
	})
	c.waitFor("the move handed off", func() bool { return c.clusterOwner(ctx, 1500) == c.Nodes[to].ClusterID() })
	for i := range n {
		k := fillKey(i, 0, 2000)
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("%s: %q %v", k, v, err)
		}
	}
}

// clusterOwner is the node ID serving slot, as the sentinels' topology says.
func (c *Cluster) clusterOwner(ctx context.Context, slot int) string {
	top, err := sentinelapi.Topology(ctx, c.sentinelAddrs())
	if err != nil {
		return ""
	}
	sh, _ := top.Owner(slot)
	return sh.Primary
}

// TestReshardUnderLoad: shoal cluster reshard (shoal's own moves) of 1,000 slots while
// go-redis ClusterClients read and write them: no error reaches the application, no
// node answers ASK, and every acknowledged counter increment is there afterwards.
func TestReshardUnderLoad(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}, MaxRedirects: 16})
	defer cc.Close()
	c.waitWritable(cc)
	const n = 200000
	fillSlots(t, cc, n, 0, 1000, itself)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var ops atomic.Int64
	counts := make([]int64, 4)
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				j := (i*7919 + w*104729) % n
				k := fillKey(j, 0, 1000)
				if err := cc.Get(ctx, k).Err(); err != nil {
					errs <- fmt.Errorf("GET %s: %w", k, err)
					return
				}
				if err := cc.Incr(ctx, fmt.Sprint(keyInSlot(w*250+i%250), ":counter")).Err(); err != nil {
					errs <- fmt.Errorf("INCR: %w", err)
					return
				}
				counts[w]++
				ops.Add(2)
			}
		}()
	}
	c.waitFor("the load running", func() bool { return ops.Load() > 1000 })
	var out bytes.Buffer // (written by the reshard only, read after it)
	a := c.session(&out)
	err := a.Reshard([]string{c.Nodes[0].ClusterID()}, c.Nodes[1].ClusterID(), 1000, admin.MoveOptions{})
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatalf("reshard: %v\n%s", err, out.String())
	}
	for err := range errs {
		t.Errorf("the application saw: %v", err)
	}
	for i, node := range c.Nodes {
		if info := c.Client(node).Info(ctx, "errorstats").Val(); strings.Contains(info, "errorstat_ASK") {
			t.Errorf("node %d answered ASK:\n%s", i, info)
		}
	}
	var sum int64
	for w := range 4 {
		for i := range 250 {
			v, _ := cc.Get(ctx, fmt.Sprint(keyInSlot(w*250+i), ":counter")).Int64()
			sum += v
		}
	}
	if want := counts[0] + counts[1] + counts[2] + counts[3]; sum != want {
		t.Errorf("the counters hold %d increments, %d were acknowledged", sum, want)
	}
	t.Logf("%d operations during the reshard; %s", ops.Load(), strings.TrimSpace(out.String()[strings.LastIndex(out.String(), "[OK]"):]))
}

// TestMoveBigKeys: a slot holding big collections moves while clients write to other
// keys of the slot and to one of the big keys itself: afterwards every collection is
// whole on the target and every acknowledged write is there. (The longest write seen
// is logged; bench-move.sh measures it.)
func TestMoveBigKeys(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}, MaxRedirects: 16})
	defer cc.Close()
	c.waitWritable(cc)
	tag := keyInSlot(150)
	const n = 200000
	for start := 0; start < n; start += 10000 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			var fields []any
			var zs []redis.Z
			var elems []any
			for i := start; i < start+10000; i++ {
				fields = append(fields, fmt.Sprint("f", i), i)
				zs = append(zs, redis.Z{Score: float64(i), Member: fmt.Sprint("m", i)})
				elems = append(elems, i)
			}
			p.HSet(ctx, tag+"hash", fields...)
			p.ZAdd(ctx, tag+"zset", zs...)
			p.RPush(ctx, tag+"list", elems...)
			p.SAdd(ctx, tag+"set", elems...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var small, big atomic.Int64
	var longest atomic.Int64
	fail := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				t0 := time.Now()
				var err error
				if w == 0 {
					err = cc.Incr(ctx, tag+"counter").Err()
				} else {
					err = cc.HIncrBy(ctx, tag+"hash", "f7", 1).Err()
				}
				if d := time.Since(t0); d.Microseconds() > longest.Load() {
					longest.Store(d.Microseconds())
				}
				if err != nil {
					fail <- err
					return
				}
				if w == 0 {
					small.Add(1)
				} else {
					big.Add(1)
				}
			}
		}()
	}
	c.waitFor("the writers running", func() bool { return small.Load() > 100 && big.Load() > 100 })
	before := c.topology().Shards()
	c.Propose(slots.Change{Op: slots.OpBeginMove, Move: "mb", Shard: ShardID(0), To: ShardID(1), Slots: "150"})
	after := c.waitMoveEnd("mb").Shards()
	for i := range before {
		if before[i].Primary != after[i].Primary {
			t.Errorf("shard %s failed over during the move", before[i].ID)
		}
	}
	c.waitFor("writes after the move", func() bool { return small.Load() > 200 })
	stop.Store(true)
	wg.Wait()
	close(fail)
	for err := range fail {
		t.Fatalf("a write during the move: %v", err)
	}
	target := c.Client(c.Nodes[1])
	for k, want := range map[string]int64{"hash": n, "zset": n, "list": n, "set": n} {
		var got int64
		switch k {
		case "hash":
			got = target.HLen(ctx, tag+k).Val()
		case "zset":
			got = target.ZCard(ctx, tag+k).Val()
		case "list":
			got = target.LLen(ctx, tag+k).Val()
		case "set":
			got = target.SCard(ctx, tag+k).Val()
		}
		if got != want {
			t.Errorf("%s on the target: %d elements, want %d", k, got, want)
		}
	}
	if v, _ := target.Get(ctx, tag+"counter").Int64(); v != small.Load() {
		t.Errorf("counter %d, %d increments acknowledged", v, small.Load())
	}
	if v, _ := target.HGet(ctx, tag+"hash", "f7").Int64(); v != 7+big.Load() {
		t.Errorf("hash field f7 %d, want %d", v, 7+big.Load())
	}
	if v := target.LIndex(ctx, tag+"list", n-1).Val(); v != strconv.Itoa(n-1) {
		t.Errorf("the list's last element %q", v)
	}
	t.Logf("%d + %d writes acknowledged; the longest took %v", small.Load(), big.Load(), time.Duration(longest.Load())*time.Microsecond)
}

// moveRounds is how many rounds TestMoveKills runs: SHOAL_MOVE_ROUNDS, else 3 (2 with
// -short).
func moveRounds() int {
	if n, err := strconv.Atoi(os.Getenv("SHOAL_MOVE_ROUNDS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 2
	}
	return 3
}

// TestMoveKills: slots move back and forth between two shards of a primary and a
// replica while, at a random moment of each move, the source's primary, the target's
// primary or the sentinels' leader is killed (and started again). Every move ends
// done or rolled back; afterwards every key is readable, and the shard that owns the
// slots holds each key once while the other holds none.
func TestMoveKills(t *testing.T) {
	ctx := context.Background()
	seed := time.Now().UnixNano()
	rnd := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	c := fastFailover(t, 3, 4, &SyncBuffer{})
	c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[2].Addr().String(), c.Nodes[0].Addr().String()},
		ClusterStateReloadInterval: 200 * time.Millisecond, MaxRedirects: 16})
	defer cc.Close()
	c.waitWritable(cc)
	const n, moving = 20000, "0-499"
	key := func(i int) string { return fillKey(i, 0, 500) }
	fillSlots(t, cc, n, 0, 500, itself)
	for round := 1; round <= moveRounds(); round++ {
		from, to := (round+1)%2, round%2 // shard 0 → 1, then back
		c.waitFor("both shards with a primary and a replica in sync", func() bool {
			for i := range 2 {
				p, _ := c.primaryOf(i)
				pi := c.nodeIndex(p)
				if pi < 0 || c.Client(c.Nodes[pi]).Do(ctx, "WAIT", "1", "1000").Val() != int64(1) {
					return false
				}
			}
			return true
		})
		if sh, _ := c.topology().Owner(0); sh.ID != ShardID(from) {
			from, to = to, from // (the last round rolled back)
		}
		id := fmt.Sprint("k", round)
		c.Propose(slots.Change{Op: slots.OpBeginMove, Move: id, Shard: ShardID(from), To: ShardID(to), Slots: moving})
		time.Sleep(time.Duration(rnd.IntN(300)) * time.Millisecond)
		switch victim := rnd.IntN(3); victim {
		case 0, 1:
			shard := []int{from, to}[victim]
			p, _ := c.primaryOf(shard)
			t.Logf("round %d (%d → %d): killing the %s primary", round, from, to, []string{"source", "target"}[victim])
			c.RestartNode(c.nodeIndex(p), func() {
				c.waitFor("a new primary", func() bool { q, _ := c.primaryOf(shard); return q != p && q != "" })
			})
		default:
			for i, s := range c.Sentinels {
				if s == c.leader() {
					t.Logf("round %d (%d → %d): restarting the sentinels' leader", round, from, to)
					c.RestartSentinel(i)
					break
				}
			}
		}
		top := c.waitMoveEnd(id)
		owner, _ := top.Owner(0)
		t.Logf("round %d: the slots are shard %s's", round, owner.ID[:1])
		for i := range n {
			var v string
			c.waitFor("a key readable", func() bool {
				var err error
				v, err = cc.Get(ctx, key(i)).Result()
				return err == nil
			})
			if v != strconv.Itoa(i) {
				t.Fatalf("round %d: %s is %q", round, key(i), v)
			}
		}
		for i := range 2 {
			p, _ := c.primaryOf(i)
			want := map[bool]int64{true: n, false: 0}[ShardID(i) == owner.ID]
			c.waitFor(fmt.Sprintf("shard %d holding %d keys of the slots", i, want), func() bool {
				return c.Client(c.Nodes[c.nodeIndex(p)]).DBSize(ctx).Val() == want
			})
		}
	}
}

// TestRebalanceMemory: with most of the data in a few slots of one primary,
// rebalancing by memory moves few slots and leaves each primary within the threshold
// of half the data; CLUSTER SLOT-STATS reports the slots' keys and memory.
func TestRebalanceMemory(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 2)
	c.Create(0) // node 0: 0-8191, node 1: 8192-16383
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr().String()}})
	defer cc.Close()
	c.waitWritable(cc)
	big := strings.Repeat("x", 1000)
	fillSlots(t, cc, 20000, 0, 20, func(int) any { return big })     // 20 heavy slots of node 0
	fillSlots(t, cc, 2000, 8192, 2000, func(int) any { return "v" }) // light ones of node 1
	st, err := c.Client(c.Nodes[0]).Do(ctx, "CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "1").Slice()
	if err != nil || len(st) != 2 {
		t.Fatalf("CLUSTER SLOT-STATS: %v %v", st, err)
	}
	var out bytes.Buffer
	if err := c.session(&out).RebalanceMemory(nil, false, 10, false, admin.MoveOptions{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	used := func(i int) int64 {
		var n int64
		for slot := 0; slot < slots.Count; slot += 1000 {
			v, _ := c.Client(c.Nodes[i]).Do(ctx, "CLUSTER", "SLOT-STATS", "SLOTSRANGE", slot, min(slot+999, slots.Count-1)).Slice()
			for _, e := range v {
				f := e.([]any)[1].([]any) // (RESP2: the map as a flat array)
				for i := 0; i+1 < len(f); i += 2 {
					if f[i] == "memory-bytes" {
						n += f[i+1].(int64)
					}
				}
			}
		}
		return n
	}
	// (A source deletes the keys it handed off in the background: wait for that.)
	var a, b int64
	balanced := func() bool {
		a, b = used(0), used(1)
		return a > 0 && b > 0 && math.Abs(float64(a-b)) <= 0.2*float64(a+b)/2
	}
	if !within(20*time.Second, balanced) {
		t.Errorf("after the rebalance: %d and %d bytes\n%s", a, b, out.String())
	}
	moved := -1
	if i := strings.Index(out.String(), "Moving"); i >= 0 {
		fmt.Sscanf(out.String()[i:], "Moving %d slots", &moved)
	}
	if moved < 1 || moved > 10 {
		t.Errorf("the rebalance moved more than half the heavy slots:\n%s", out.String())
	}
	for i := range 20000 {
		if v, err := cc.Get(ctx, fillKey(i, 0, 20)).Result(); err != nil || v != big {
			t.Fatalf("key %d after the rebalance: %v", i, err)
		}
	}
}
