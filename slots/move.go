package slots

import (
	"fmt"
	"slices"
	"strings"
)

// Move is shoal's own slot migration, as the sentinels' Raft log holds it: a set of
// slots moving, with their keys, from one shard to another in a single hand-off. The
// slots stay the source shard's until the move ends done (the commit that gives them
// to the target is the hand-off); a move that ends rolled back leaves them where they
// were. A failover of either shard does not end a move: the source shard's new primary
// starts the streaming again.
type Move struct {
	ID    string `json:"id"`
	Slots Ranges `json:"-"`
	From  string `json:"from"` // the source shard
	To    string `json:"to"`   // the target shard
	// Phase is where the move stands: preparing (committed; the source opens the
	// target's import), streaming (the source sends the slots' keys), catching-up (it
	// sends the writes made since), handing-off (it pauses writes to hand over); a move
	// that ended is no longer listed.
	Phase string `json:"phase"`
}

// Move phases. A move ends done or rolled back (MoveDone, MoveRolledBack: what
// OpEndMove records), and is then gone from the topology.
const (
	MovePreparing  = "preparing"
	MoveStreaming  = "streaming"
	MoveCatchingUp = "catching-up"
	MoveHandingOff = "handing-off"
	MoveDone       = "done"
	MoveRolledBack = "rolled-back"
)

// activePhase reports whether phase is one of a move under way.
func activePhase(phase string) bool {
	switch phase {
	case MovePreparing, MoveStreaming, MoveCatchingUp, MoveHandingOff:
		return true
	}
	return false
}

// Moves returns the moves under way, by ID.
func (t *Topology) Moves() []Move { return slices.Clone(t.moves) }

// EndedMoves returns the last moves that ended (at most keptEnded), oldest first, each
// with its final phase: done or rolled back.
func (t *Topology) EndedMoves() []Move { return slices.Clone(t.ended) }

// keptEnded is how many ended moves a topology remembers.
const keptEnded = 16

// MoveOf returns the move a slot is part of.
func (t *Topology) MoveOf(slot int) (Move, bool) {
	for _, m := range t.moves {
		if m.Slots.Contains(slot) {
			return m, true
		}
	}
	return Move{}, false
}

// ShardByID returns the shard with that ID.
func (t *Topology) ShardByID(id string) (Shard, bool) {
	i, ok := slices.BinarySearchFunc(t.shards, id, func(s Shard, id string) int { return strings.Compare(s.ID, id) })
	if !ok {
		return Shard{}, false
	}
	return t.shards[i], true
}

// withMoves sets t's moves and ended moves (t is being built) and checks them: unique
// IDs, slots in at most one move and in no Redis-style migration, each owned by the
// move's source shard, the target another shard; ended moves with a final phase.
func (t *Topology) withMoves(moves, ended []Move) (*Topology, error) {
	if len(ended) > keptEnded {
		return nil, fmt.Errorf("%d ended moves, at most %d kept", len(ended), keptEnded)
	}
	for _, m := range ended {
		if m.ID == "" || m.Phase != MoveDone && m.Phase != MoveRolledBack {
			return nil, fmt.Errorf("ended move %q: phase %q", m.ID, m.Phase)
		}
	}
	t.ended = slices.Clone(ended)
	t.moves = make([]Move, len(moves))
	for i, m := range moves {
		m.Slots = slices.Clone(m.Slots)
		t.moves[i] = m
	}
	slices.SortFunc(t.moves, func(a, b Move) int { return strings.Compare(a.ID, b.ID) })
	var seen Ranges
	for i, m := range t.moves {
		if m.ID == "" || i > 0 && t.moves[i-1].ID == m.ID {
			return nil, fmt.Errorf("move %q: no ID, or listed twice", m.ID)
		}
		if !activePhase(m.Phase) {
			return nil, fmt.Errorf("move %s: phase %q", m.ID, m.Phase)
		}
		from, ok := t.ShardByID(m.From)
		if _, to := t.ShardByID(m.To); !ok || !to || m.From == m.To {
			return nil, fmt.Errorf("move %s: from %s to %s, not two shards", m.ID, m.From, m.To)
		}
		if m.Slots.Len() == 0 || m.Slots.Minus(from.Slots).Len() != 0 {
			return nil, fmt.Errorf("move %s: slots %s not all its source's", m.ID, m.Slots)
		}
		if seen.Minus(seen.Minus(m.Slots)).Len() != 0 {
			return nil, fmt.Errorf("move %s: slots %s in another move too", m.ID, m.Slots)
		}
		seen = seen.Union(m.Slots)
		for slot := range t.migrations {
			if m.Slots.Contains(slot) {
				return nil, fmt.Errorf("move %s: slot %d is migrating too", m.ID, slot)
			}
		}
	}
	return t, nil
}

// applyMove applies OpBeginMove, OpMovePhase and OpEndMove to shards, moves and ended
// moves (the topology's, copied) and returns the moves and ended moves after it.
func applyMove(c Change, shards []Shard, moves, ended []Move) ([]Move, []Move, error) {
	i := slices.IndexFunc(moves, func(m Move) bool { return m.ID == c.Move })
	switch c.Op {
	case OpBeginMove:
		if i >= 0 {
			return nil, nil, fmt.Errorf("move %s exists", c.Move)
		}
		rs, err := ParseRanges(c.Slots)
		if err != nil {
			return nil, nil, err
		}
		return append(moves, Move{ID: c.Move, Slots: rs, From: c.Shard, To: c.To, Phase: MovePreparing}), ended, nil
	case OpMovePhase:
		if i < 0 {
			return nil, nil, fmt.Errorf("no move %s", c.Move)
		}
		if !activePhase(c.Phase) {
			return nil, nil, fmt.Errorf("move phase %q", c.Phase)
		}
		moves[i].Phase = c.Phase
		return moves, ended, nil
	}
	if i < 0 {
		return nil, nil, fmt.Errorf("no move %s", c.Move)
	}
	m := moves[i]
	switch c.Phase {
	case MoveDone:
		from := slices.IndexFunc(shards, func(s Shard) bool { return s.ID == m.From })
		to := slices.IndexFunc(shards, func(s Shard) bool { return s.ID == m.To })
		if from < 0 || to < 0 {
			return nil, nil, fmt.Errorf("move %s: a shard is gone", m.ID)
		}
		// The hand-off is the source's primary's, with the target's primary that
		// confirmed the data: after a failover of either, it is refused (the new
		// primary starts the move again).
		if c.Primary != "" && shards[from].Primary != c.Primary || c.NodeID != "" && shards[to].Primary != c.NodeID {
			return nil, nil, fmt.Errorf("move %s: the source or target shard has another primary now", m.ID)
		}
		shards[from].Slots = shards[from].Slots.Minus(m.Slots)
		shards[to].Slots = shards[to].Slots.Union(m.Slots)
	case MoveRolledBack:
	default:
		return nil, nil, fmt.Errorf("a move ends %s or %s, not %q", MoveDone, MoveRolledBack, c.Phase)
	}
	m.Phase = c.Phase
	ended = append(ended, m)
	if len(ended) > keptEnded {
		ended = ended[len(ended)-keptEnded:]
	}
	return slices.Delete(moves, i, i+1), ended, nil
}
