package slots

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
)

// The wire form of a topology, as the sentinels' Raft log and gossip carry it: JSON of
// the fields below, slot ranges as CLUSTER NODES writes them. It is decoded through
// New, so a topology read from the wire holds the same invariants as one built here.

type wireTopology struct {
	Epoch      uint64      `json:"epoch"`
	Nodes      []Node      `json:"nodes"`
	Shards     []wireShard `json:"shards"`
	Migrations []Migration `json:"migrations,omitempty"`
	Moves      []wireMove  `json:"moves,omitempty"`
	Ended      []wireMove  `json:"ended_moves,omitempty"`
}

type wireMove struct {
	Move
	Slots string `json:"slots"`
}

type wireShard struct {
	ID       string   `json:"id"`
	Primary  string   `json:"primary,omitempty"`
	Replicas []string `json:"replicas,omitempty"`
	Slots    string   `json:"slots,omitempty"`
	Since    uint64   `json:"since,omitempty"`
}

// maxWire bounds an encoded topology: far above any real cluster (a thousand nodes
// take about 200 KiB), low enough that a hostile message cannot make a node allocate
// much.
const maxWire = 16 << 20

// Encode returns the wire form of t. It is made once (a committed topology is read by
// every node, sent in every gossip push/pull and every TOPOLOGY answer) and shared:
// callers must not change it.
func (t *Topology) Encode() []byte {
	if b := t.wire.Load(); b != nil {
		return *b
	}
	b := t.encode()
	t.wire.Store(&b)
	return b
}

func (t *Topology) encode() []byte {
	w := wireTopology{Epoch: t.epoch, Nodes: t.Nodes(), Shards: make([]wireShard, len(t.shards))}
	for i, s := range t.shards {
		w.Shards[i] = wireShard{ID: s.ID, Primary: s.Primary, Replicas: s.Replicas, Slots: s.Slots.String(), Since: s.Since}
	}
	w.Migrations = t.Migrations()
	for _, m := range t.moves {
		w.Moves = append(w.Moves, wireMove{Move: m, Slots: m.Slots.String()})
	}
	for _, m := range t.ended {
		w.Ended = append(w.Ended, wireMove{Move: m, Slots: m.Slots.String()})
	}
	b, err := json.Marshal(w)
	if err != nil {
		panic(err) // plain strings and numbers always marshal
	}
	return b
}

// lastDecoded is the wire form Decode read last, with its topology. The same wire
// form arrives many times — every gossip member relays an epoch, push/pull states
// repeat it, a node checking its view against the sentinels mostly fetches the one
// it has — and a Topology is immutable, so it is decoded once.
var lastDecoded atomic.Pointer[decoded]

type decoded struct {
	wire []byte
	top  *Topology
}

// Decode reads a topology's wire form; anything malformed or inconsistent is an error.
// Reading the same bytes again returns the same topology.
func Decode(b []byte) (*Topology, error) {
	if len(b) > maxWire {
		return nil, errors.New("topology: message too large")
	}
	if d := lastDecoded.Load(); d != nil && bytes.Equal(d.wire, b) {
		return d.top, nil
	}
	t, err := decode(b)
	if err == nil {
		lastDecoded.Store(&decoded{bytes.Clone(b), t})
	}
	return t, err
}

// WireEpoch reads the epoch at the start of a topology's wire form without decoding
// the rest (Encode writes it first), so that a receiver can drop a topology no newer
// than its own cheaply; ok is false when b does not start that way.
func WireEpoch(b []byte) (epoch uint64, ok bool) {
	const prefix = `{"epoch":`
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return 0, false
	}
	digits := 0
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		if epoch > (math.MaxUint64-9)/10 {
			return 0, false
		}
		epoch = epoch*10 + uint64(c-'0')
		digits++
	}
	return epoch, digits > 0
}

// decode is Decode without the cache.
func decode(b []byte) (*Topology, error) {
	var w wireTopology
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	shards := make([]Shard, len(w.Shards))
	for i, s := range w.Shards {
		rs, err := parseSortedRanges(s.Slots)
		if err != nil {
			return nil, fmt.Errorf("topology: shard %s: %w", s.ID, err)
		}
		shards[i] = Shard{ID: s.ID, Primary: s.Primary, Replicas: s.Replicas, Slots: rs, Since: s.Since}
	}
	t, err := New(w.Epoch, w.Nodes, shards, w.Migrations)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	var moves [2][]Move
	for k, list := range [][]wireMove{w.Moves, w.Ended} {
		moves[k] = make([]Move, len(list))
		for i, m := range list {
			if moves[k][i].Slots, err = parseSortedRanges(m.Slots); err != nil {
				return nil, fmt.Errorf("topology: move %s: %w", m.ID, err)
			}
			moves[k][i].ID, moves[k][i].From, moves[k][i].To, moves[k][i].Phase = m.ID, m.From, m.To, m.Phase
		}
	}
	if t, err = t.withMoves(moves[0], moves[1]); err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	return t, nil
}

// parseSortedRanges reads ranges as Encode writes them — ascending and disjoint — in
// time linear in their number (ParseRanges accepts any order, at a cost per slot).
func parseSortedRanges(s string) (Ranges, error) {
	var rs Ranges
	prev := -1
	for _, f := range strings.Fields(s) {
		r, err := parseRange(f)
		if err != nil {
			return nil, err
		}
		if r.Start <= prev {
			return nil, fmt.Errorf("slot ranges out of order at %q", f)
		}
		rs = append(rs, r)
		prev = r.End
	}
	return rs, nil
}
