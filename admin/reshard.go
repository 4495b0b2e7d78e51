package admin

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
)

// MoveOptions tune how slots move (reshard, rebalance).
type MoveOptions struct {
	// Batch is how many slots move under one pair of commits (migration started,
	// slots handed over); 64 when 0. Larger batches commit less often; smaller ones
	// keep each slot migrating (clients redirected with ASK) for less time.
	Batch int
	// Pipeline is how many keys one MIGRATE carries; 100 when 0.
	Pipeline int
	// MigrateTimeout is MIGRATE's timeout; 60 s when 0.
	MigrateTimeout time.Duration
	// Replace overwrites keys that exist on the target already (MIGRATE REPLACE);
	// without it such a key stops the move with BUSYKEY.
	Replace bool
	// Classic moves slots as redis-cli --cluster does (SETSLOT-style migrations and
	// MIGRATE, clients redirected with ASK meanwhile) instead of shoal's own moves
	// (slots.Move: the keys streamed, then one hand-off under a short write pause).
	Classic bool
}

func (o MoveOptions) withDefaults() MoveOptions {
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Pipeline <= 0 {
		o.Pipeline = 100
	}
	if o.MigrateTimeout <= 0 {
		o.MigrateTimeout = 60 * time.Second
	}
	return o
}

// slotMove is one slot going from one shard's primary to another's.
type slotMove struct {
	slot     int
	from, to primary
}

// Reshard moves count slots to the primary named by to, taken from the primaries named
// by from (IDs, ID prefixes or addresses; "all" for every other primary with slots) in
// proportion to the slots each has, lowest slots first, as redis-cli --cluster
// reshard chooses them.
func (a *Admin) Reshard(from []string, to string, count int, opts MoveOptions) error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	dstNode, err := a.pickPrimary(top, to, "")
	if err != nil {
		return err
	}
	ds, err := a.ensureShards([]primary{primaryOf(top, dstNode.ID)})
	if err != nil {
		return err
	}
	dst := ds[0]
	var sources []primary
	if len(from) == 1 && from[0] == "all" {
		for _, p := range primaries(top) {
			if p.node.ID != dst.node.ID && p.shard.Slots.Len() > 0 {
				sources = append(sources, p)
			}
		}
	} else {
		for _, ref := range from {
			n, err := a.pickPrimary(top, ref, "")
			if err != nil {
				return err
			}
			if n.ID == dst.node.ID {
				return fmt.Errorf("the target %s is also a source", endpoint(n))
			}
			sources = append(sources, primaryOf(top, n.ID))
		}
	}
	total := 0
	for _, p := range sources {
		total += p.shard.Slots.Len()
	}
	if count <= 0 || count > total {
		return fmt.Errorf("--slots must be between 1 and %d (the slots the sources have)", total)
	}
	a.printf("Ready to move %d slots.\n  Source nodes:\n", count)
	for _, p := range sources {
		a.printf("    M: %s %s (%d slots)\n", p.node.ID, endpoint(p.node), p.shard.Slots.Len())
	}
	a.printf("  Destination node:\n    M: %s %s (%d slots)\n", dst.node.ID, endpoint(dst.node), dst.shard.Slots.Len())
	return a.move(reshardTable(sources, dst, count), opts)
}

// reshardTable picks count slots from sources for dst: from each source a share
// proportional to its slots (the largest source rounds up, the others down), its
// lowest slots first.
func reshardTable(sources []primary, dst primary, count int) []slotMove {
	sources = slices.Clone(sources)
	slices.SortStableFunc(sources, func(x, y primary) int { return y.shard.Slots.Len() - x.shard.Slots.Len() })
	total := 0
	for _, p := range sources {
		total += p.shard.Slots.Len()
	}
	var out []slotMove
	for i, p := range sources {
		share := float64(count) / float64(total) * float64(p.shard.Slots.Len())
		n := int(math.Floor(share))
		if i == 0 {
			n = int(math.Ceil(share))
		}
		out = append(out, takeSlots(p, dst, n)...)
	}
	if len(out) > count {
		out = out[:count]
	}
	return out
}

// takeSlots moves the n lowest slots of from to to.
func takeSlots(from, to primary, n int) []slotMove {
	var out []slotMove
	for _, r := range from.shard.Slots {
		for s := r.Start; s <= r.End && len(out) < n; s++ {
			out = append(out, slotMove{slot: s, from: from, to: to})
		}
	}
	return out
}

// Rebalance moves slots between primaries until each has its share: 16384 × its
// weight / the sum of weights (weights by node ID, ID prefix or address; 1 when not
// given; 0 empties a primary). Primaries without slots take part only with
// useEmpty. Nothing moves when every primary is within threshold percent of its
// share; with simulate the moves are printed, not made.
func (a *Admin) Rebalance(weights map[string]float64, useEmpty bool, threshold float64, simulate bool, opts MoveOptions) error {
	ms, totalWeight, err := a.rebalanceMembers(weights, useEmpty)
	if err != nil || ms == nil {
		return err
	}
	over := false
	totalBalance := 0
	for _, m := range ms {
		expected := int(float64(slots.Count) / totalWeight * m.weight)
		have := m.p.shard.Slots.Len()
		m.balance = have - expected
		totalBalance += m.balance
		if (have == 0 && expected > 0) || (have > 0 && math.Abs(100-100*float64(expected)/float64(have)) > threshold) {
			over = true
		}
	}
	if !over {
		a.printf("*** No rebalancing needed! All nodes are within the %.2f%% balance threshold.\n", threshold)
		return nil
	}
	// Rounding leaves a few slots unplaced: the receivers take them.
	for totalBalance > 0 {
		for _, m := range ms {
			if m.balance <= 0 && totalBalance > 0 {
				m.balance--
				totalBalance--
			}
		}
	}
	slices.SortStableFunc(ms, func(x, y *member) int { return cmp.Compare(x.balance, y.balance) })
	var plan []slotMove
	taken := map[string]int{} // slots given so far, per source
	for dst, src := 0, len(ms)-1; dst < src; {
		d, s := ms[dst], ms[src]
		n := min(-d.balance, s.balance)
		if n > 0 {
			a.printf("Moving %d slots from %s to %s\n", n, endpoint(s.p.node), endpoint(d.p.node))
			moves := takeSlots(s.p, d.p, taken[s.p.node.ID]+n)[taken[s.p.node.ID]:]
			taken[s.p.node.ID] += n
			plan = append(plan, moves...)
			d.balance += n
			s.balance -= n
		}
		if d.balance == 0 {
			dst++
		}
		if s.balance == 0 {
			src--
		}
		if n <= 0 && d.balance != 0 && s.balance != 0 {
			break
		}
	}
	return a.carryOut(plan, simulate, opts)
}

// member is a primary taking part in a rebalance, its weight, and how far it is above
// (positive) or below its share: in slots, or in bytes when by memory.
type member struct {
	p       primary
	weight  float64
	balance int
}

// rebalanceMembers lists the primaries (of the sentinels' topology) taking part in a
// rebalance, with their weights (weights by node reference; 1 when not given) and the
// weights' sum; nil (and a message printed) when fewer than two do.
func (a *Admin) rebalanceMembers(weights map[string]float64, useEmpty bool) ([]*member, float64, error) {
	top, err := a.topology()
	if err != nil {
		return nil, 0, err
	}
	byID := map[string]float64{}
	for ref, w := range weights {
		n, err := a.pickPrimary(top, ref, "")
		if err != nil {
			return nil, 0, err
		}
		byID[n.ID] = w
	}
	var ms []*member
	totalWeight := 0.0
	for _, p := range primaries(top) {
		w, ok := byID[p.node.ID]
		if !ok {
			w = 1
		}
		if p.shard.Slots.Len() == 0 && !useEmpty {
			continue
		}
		ms = append(ms, &member{p: p, weight: w})
		totalWeight += w
	}
	if len(ms) < 2 || totalWeight == 0 {
		a.printf("*** No rebalancing needed! Fewer than two primaries take part.\n")
		return nil, 0, nil
	}
	return ms, totalWeight, nil
}

// carryOut moves the slots of plan (or, simulating, says how many would move), giving
// a shard first to each receiving primary that has none.
func (a *Admin) carryOut(plan []slotMove, simulate bool, opts MoveOptions) error {
	if simulate {
		a.printf("*** Simulation: %d slots would move.\n", len(plan))
		return nil
	}
	// Primaries without a shard get one before they receive slots.
	for i, m := range plan {
		if m.to.shard.ID == "" {
			ps, err := a.ensureShards([]primary{m.to})
			if err != nil {
				return err
			}
			for j := i; j < len(plan); j++ {
				if plan[j].to.node.ID == m.to.node.ID {
					plan[j].to = ps[0]
				}
			}
		}
	}
	return a.move(plan, opts)
}

// move carries out a plan, batch by batch. By default each batch of slots between
// one pair of shards is one move of shoal's own (moveAtomic). With opts.Classic, a
// batch (at most opts.Batch slots) is marked migrating (one commit), its keys are
// moved with MIGRATE, and it is handed to the target shard (one commit); clients are
// redirected throughout as with Redis: ASK for keys already moved, MOVED once the
// batch is handed over.
func (a *Admin) move(plan []slotMove, opts MoveOptions) error {
	opts = opts.withDefaults()
	start, total := time.Now(), len(plan)
	// Batches: runs of slots between one pair of shards (at most opts.Batch slots
	// each when classic).
	var batches [][]slotMove
	for rest := plan; len(rest) > 0; {
		n, limit := 1, opts.Batch
		if !opts.Classic {
			limit = len(rest)
		}
		for n < len(rest) && n < limit && rest[n].from.shard.ID == rest[0].from.shard.ID && rest[n].to.shard.ID == rest[0].to.shard.ID {
			n++
		}
		batches, rest = append(batches, rest[:n]), rest[n:]
	}
	keys := 0
	if opts.Classic {
		a.progress.Start(fmt.Sprintf("moving %d slots", len(plan)), len(plan))
	} else { // progress in keys, as the sources report them sent
		counts := make([]int, len(batches))
		for i, b := range batches {
			n, err := a.countKeys(b)
			if err != nil {
				return err
			}
			counts[i], keys = n, keys+n
		}
		a.progress.Start(fmt.Sprintf("moving %d slots, %d keys", len(plan), keys), keys)
		for i, b := range batches {
			if err := a.moveAtomic(b, counts[i]); err != nil {
				a.progress.Finish()
				return err
			}
		}
		batches = nil
	}
	for _, b := range batches {
		k, err := a.moveBatch(b, opts)
		keys += k
		if err != nil {
			a.progress.Finish()
			return err
		}
		a.progress.Add(len(b))
	}
	a.progress.Finish()
	top, err := a.topology()
	if err != nil {
		return err
	}
	if err := a.waitAll(top); err != nil {
		return err
	}
	a.printf("[OK] Moved %d slots (%d keys) in %.1f s.\n", total, keys, time.Since(start).Seconds())
	return nil
}

func slotsOf(plan []slotMove) []int {
	out := make([]int, len(plan))
	for i, m := range plan {
		out[i] = m.slot
	}
	return out
}

// countKeys returns how many keys the slots of batch hold on their source.
func (a *Admin) countKeys(batch []slotMove) (int, error) {
	src := endpoint(batch[0].from.node)
	ctx, cancel := a.ctx()
	defer cancel()
	cmds, err := a.client(src).Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, sl := range slotsOf(batch) {
			p.ClusterCountKeysInSlot(ctx, sl)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: CLUSTER COUNTKEYSINSLOT: %w", src, err)
	}
	keys := 0
	for _, c := range cmds {
		keys += int(c.(*redis.IntCmd).Val())
	}
	return keys, nil
}

// moveAtomic moves the slots of batch (all from one shard to one other, holding about
// keys keys) as one move of shoal's own: it commits the move's start, and waits until
// the source's primary has streamed the keys and handed the slots off (or the move
// was rolled back), reporting the keys sent as progress.
func (a *Admin) moveAtomic(batch []slotMove, keys int) error {
	from, to := batch[0].from, batch[0].to
	rs := slots.RangesOf(slotsOf(batch)...)
	reported := 0
	report := func(sent int) {
		if sent = min(sent, keys); sent > reported {
			a.progress.Add(sent - reported)
			reported = sent
		}
	}
	var id [8]byte
	rand.Read(id[:])
	move := hex.EncodeToString(id[:])
	if _, err := a.propose(slots.Change{Op: slots.OpBeginMove, Move: move, Shard: from.shard.ID, To: to.shard.ID, Slots: rs.String()}); err != nil {
		return err
	}
	for {
		time.Sleep(50 * time.Millisecond)
		top, err := a.topology()
		if err != nil {
			continue // (the sentinels may be electing a leader: the move goes on)
		}
		if slices.ContainsFunc(top.Moves(), func(m slots.Move) bool { return m.ID == move }) {
			if sh, ok := top.Owner(rs[0].Start); ok {
				if n, ok := top.Node(sh.Primary); ok {
					report(a.keysSent(endpoint(n), move))
				}
			}
			continue
		}
		// How it ended: as the topology's ended moves say, or (gone from them after many
		// more moves) by who owns the slots.
		ended := top.EndedMoves()
		i := slices.IndexFunc(ended, func(m slots.Move) bool { return m.ID == move })
		if owner, _ := top.Owner(rs[0].Start); i >= 0 && ended[i].Phase != slots.MoveDone || i < 0 && owner.ID != to.shard.ID {
			return fmt.Errorf("move %s of slots %s from %s to %s was rolled back (see the source's log)",
				move, rs, endpoint(from.node), endpoint(to.node))
		}
		report(keys)
		if behind := a.waitEpoch([]string{endpoint(to.node), endpoint(from.node)}, top.Epoch()); len(behind) > 0 {
			return fmt.Errorf("slots %s: the hand-off was committed but %s do not follow it", rs, strings.Join(behind, ", "))
		}
		return nil
	}
}

// keysSent is how many keys of move the source at addr reports sent (0 when it does
// not say).
func (a *Admin) keysSent(addr, move string) int {
	ctx, cancel := a.ctx()
	defer cancel()
	list, err := a.client(addr).Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
	if err != nil {
		return 0
	}
	for _, e := range list {
		var kv []any
		switch m := e.(type) {
		case []any:
			kv = m
		case map[any]any:
			for k, v := range m {
				kv = append(kv, k, v)
			}
		}
		fields := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			fields[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
		}
		if fields["id"] == move {
			n, _ := strconv.Atoi(fields["keys-sent"])
			return n
		}
	}
	return 0
}

// moveBatch moves the slots of batch (all from one shard to one other) and returns how
// many keys it moved.
func (a *Admin) moveBatch(batch []slotMove, opts MoveOptions) (int, error) {
	from, to := batch[0].from, batch[0].to
	src, dst := endpoint(from.node), endpoint(to.node)
	rs := slots.RangesOf(slotsOf(batch)...)
	epoch, err := a.propose(slots.Change{Op: slots.OpSetMigration, Slots: rs.String(), NodeID: to.node.ID})
	if err != nil {
		return 0, err
	}
	// Both ends must know before keys move: the source then sends writers of keys it
	// no longer has to the target, which serves them.
	if behind := a.waitEpoch([]string{src, dst}, epoch); len(behind) > 0 {
		return 0, fmt.Errorf("slots %s: the migration was committed but %s do not follow it", rs, strings.Join(behind, ", "))
	}
	a.waitLease(dst)
	ctx, cancel := context.WithTimeout(context.Background(), a.Timeout+opts.MigrateTimeout)
	defer cancel()
	c := a.client(src)
	keys := 0
	// Each round lists the keys of every slot still holding some, in one pipeline,
	// then moves them; a slot is drained once it lists fewer keys than asked for
	// (keys new to a migrating slot go to the target).
	pending := slotsOf(batch)
	for len(pending) > 0 {
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, sl := range pending {
				p.ClusterGetKeysInSlot(ctx, sl, opts.Pipeline)
			}
			return nil
		})
		if err != nil {
			return keys, fmt.Errorf("%s: CLUSTER GETKEYSINSLOT: %w", src, err)
		}
		var again []int
		for i, cmd := range cmds {
			ks := cmd.(*redis.StringSliceCmd).Val()
			if len(ks) == 0 {
				continue
			}
			args := []any{"MIGRATE", to.node.IP, to.node.Port, "", 0, opts.MigrateTimeout.Milliseconds()}
			if opts.Replace {
				args = append(args, "REPLACE")
			}
			args = append(args, "KEYS")
			for _, k := range ks {
				args = append(args, k)
			}
			if err := c.Do(ctx, args...).Err(); err != nil && err.Error() != "NOKEY" {
				if strings.Contains(err.Error(), "BUSYKEY") {
					err = fmt.Errorf("%w (run again with --replace to overwrite the target's keys)", err)
				}
				return keys, fmt.Errorf("moving slot %d from %s to %s: MIGRATE: %w", pending[i], src, dst, err)
			}
			keys += len(ks)
			if len(ks) == opts.Pipeline {
				again = append(again, pending[i])
			}
		}
		pending = again
	}
	epoch, err = a.propose(slots.Change{Op: slots.OpMoveSlots, Shard: from.shard.ID, To: to.shard.ID, Slots: rs.String()})
	if err != nil {
		return keys, err
	}
	if behind := a.waitEpoch([]string{dst, src}, epoch); len(behind) > 0 {
		return keys, fmt.Errorf("slots %s: the hand-off was committed but %s do not follow it", rs, strings.Join(behind, ", "))
	}
	return keys, nil
}
