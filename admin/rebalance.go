package admin

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/shoal-db/shoal/slots"
)

// RebalanceMemory moves slots until each primary holds its weighted share of the
// data's memory, as the nodes measure it per slot (CLUSTER SLOT-STATS memory-bytes),
// moving as few slots as it can: from the primary furthest above its share to the one
// furthest below, the largest slot that does not overshoot, until every primary is
// within threshold percent of its share (or no slot fits). Weights, useEmpty,
// simulate and opts are as for Rebalance.
func (a *Admin) RebalanceMemory(weights map[string]float64, useEmpty bool, threshold float64, simulate bool, opts MoveOptions) error {
	ms, totalWeight, err := a.rebalanceMembers(weights, useEmpty)
	if err != nil || ms == nil {
		return err
	}
	// Each member's slots with their memory, largest first.
	type slotMem struct {
		slot int
		mem  int
	}
	held := map[*member][]slotMem{}
	total := 0
	for _, m := range ms {
		ctx, cancel := a.ctx()
		c := a.client(endpoint(m.p.node))
		for _, r := range m.p.shard.Slots {
			v, err := c.Do(ctx, "CLUSTER", "SLOT-STATS", "SLOTSRANGE", r.Start, r.End).Slice()
			if err != nil {
				cancel()
				return fmt.Errorf("%s: CLUSTER SLOT-STATS: %w", endpoint(m.p.node), err)
			}
			for _, e := range v {
				sm, ok := parseSlotStat(e)
				if ok && sm[1] > 0 {
					held[m] = append(held[m], slotMem{sm[0], sm[1]})
					m.balance += sm[1]
					total += sm[1]
				}
			}
		}
		cancel()
		slices.SortFunc(held[m], func(x, y slotMem) int { return cmp.Compare(y.mem, x.mem) })
	}
	within := func(m *member, expected float64) bool {
		return math.Abs(float64(m.balance)) <= expected*threshold/100
	}
	expected := map[*member]float64{}
	over := false
	for _, m := range ms {
		expected[m] = float64(total) / totalWeight * m.weight
		m.balance -= int(expected[m])
		if !within(m, expected[m]) {
			over = true
		}
	}
	if !over {
		a.printf("*** No rebalancing needed! Every primary holds its share of %d bytes within %.2f%%.\n", total, threshold)
		return nil
	}
	var plan []slotMove
	for {
		slices.SortStableFunc(ms, func(x, y *member) int { return cmp.Compare(x.balance, y.balance) })
		dst, src := ms[0], ms[len(ms)-1]
		if dst.balance >= 0 || src.balance <= 0 || within(dst, expected[dst]) && within(src, expected[src]) {
			break
		}
		room := min(-dst.balance, src.balance)
		i := slices.IndexFunc(held[src], func(s slotMem) bool { return s.mem <= room })
		if i < 0 {
			break // no slot of the source fits: as close as slots allow
		}
		s := held[src][i]
		held[src] = slices.Delete(held[src], i, i+1)
		plan = append(plan, slotMove{slot: s.slot, from: src.p, to: dst.p})
		src.balance -= s.mem
		dst.balance += s.mem
	}
	// Moves between the same pair of shards go together, in slot order.
	slices.SortStableFunc(plan, func(x, y slotMove) int {
		return cmp.Or(cmp.Compare(x.from.node.ID, y.from.node.ID), cmp.Compare(x.to.node.ID, y.to.node.ID), cmp.Compare(x.slot, y.slot))
	})
	a.printf("Moving %d slots to balance %d bytes of data by memory.\n", len(plan), total)
	return a.carryOut(plan, simulate, opts)
}

// parseSlotStat reads one entry of CLUSTER SLOT-STATS: [slot, {…, memory-bytes: n}].
func parseSlotStat(e any) ([2]int, bool) {
	pair, ok := e.([]any)
	if !ok || len(pair) != 2 {
		return [2]int{}, false
	}
	slot, ok := pair[0].(int64)
	if !ok {
		return [2]int{}, false
	}
	fields := map[string]any{}
	switch f := pair[1].(type) {
	case map[any]any:
		for k, v := range f {
			fields[fmt.Sprint(k)] = v
		}
	case []any:
		for i := 0; i+1 < len(f); i += 2 {
			fields[fmt.Sprint(f[i])] = f[i+1]
		}
	}
	mem, ok := fields["memory-bytes"].(int64)
	return [2]int{int(slot), int(mem)}, ok
}

// CancelMoves rolls back every slot move under way (the slots stay their sources';
// the targets drop what they had received) and says how many there were.
func (a *Admin) CancelMoves() error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	n := 0
	for _, m := range top.Moves() {
		if _, err := a.propose(slots.Change{Op: slots.OpEndMove, Move: m.ID, Phase: slots.MoveRolledBack}); err != nil {
			a.printf("move %s (slots %s): %v\n", m.ID, m.Slots, err) // (it may have ended meanwhile)
			continue
		}
		a.printf("Rolled back move %s of slots %s (it was %s).\n", m.ID, m.Slots, m.Phase)
		n++
	}
	a.printf("[OK] %d moves rolled back.\n", n)
	return nil
}
