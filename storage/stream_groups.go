package storage

import (
	"slices"

	"github.com/google/btree"
)

// StreamGroup is a consumer group: the last ID delivered, the logical count of entries
// read (-1 when unknown), and the pending entries list (PEL) of entries delivered and
// not yet acknowledged, ordered by ID, shared with the consumers' own lists.
type StreamGroup struct {
	LastID      StreamID
	EntriesRead int64

	pel       *btree.BTreeG[*PendingEntry]
	consumers map[string]*StreamConsumer
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // Unix ms of its last interaction

	pel *btree.BTreeG[*PendingEntry]
}

// PendingEntry is an entry delivered to a consumer and not acknowledged.
type PendingEntry struct {
	ID            StreamID
	Consumer      *StreamConsumer
	DeliveryTime  int64 // Unix ms of the last delivery
	DeliveryCount int64
}

func pelLess(a, b *PendingEntry) bool { return a.ID.Less(b.ID) }

func newPEL() *btree.BTreeG[*PendingEntry] { return btree.NewG(16, pelLess) }

// Group returns the named group, nil if none.
func (s *Stream) Group(name string) *StreamGroup { return s.groups[name] }

// GroupNames returns the groups' names in lexicographic order (Redis's radix order).
func (s *Stream) GroupNames() []string {
	names := make([]string, 0, len(s.groups))
	for n := range s.groups {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NumGroups is the number of consumer groups.
func (s *Stream) NumGroups() int { return len(s.groups) }

// CreateGroup adds a group; the caller checked the name is free.
func (s *Stream) CreateGroup(name string, last StreamID, entriesRead int64) *StreamGroup {
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	g := &StreamGroup{LastID: last, EntriesRead: entriesRead, pel: newPEL(), consumers: map[string]*StreamConsumer{}}
	s.groups[name] = g
	return g
}

// DestroyGroup removes a group and reports whether it existed.
func (s *Stream) DestroyGroup(name string) bool {
	if _, ok := s.groups[name]; !ok {
		return false
	}
	delete(s.groups, name)
	return true
}

// Consumer returns the named consumer, creating it (seen at now) if needed; created
// reports whether it did.
func (g *StreamGroup) Consumer(name string, now int64) (c *StreamConsumer, created bool) {
	if c = g.consumers[name]; c != nil {
		return c, false
	}
	c = &StreamConsumer{Name: name, SeenTime: now, pel: newPEL()}
	g.consumers[name] = c
	return c, true
}

// LookupConsumer returns the named consumer, nil if none.
func (g *StreamGroup) LookupConsumer(name string) *StreamConsumer { return g.consumers[name] }

// ConsumerNames returns the consumers' names in lexicographic order.
func (g *StreamGroup) ConsumerNames() []string {
	names := make([]string, 0, len(g.consumers))
	for n := range g.consumers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NumConsumers is the number of consumers.
func (g *StreamGroup) NumConsumers() int { return len(g.consumers) }

// DeleteConsumer removes a consumer and its pending entries; it returns how many
// entries it had pending.
func (g *StreamGroup) DeleteConsumer(name string) int {
	c := g.consumers[name]
	if c == nil {
		return 0
	}
	n := c.pel.Len()
	c.pel.Ascend(func(p *PendingEntry) bool {
		g.pel.Delete(p)
		return true
	})
	delete(g.consumers, name)
	return n
}

// PendingCount is the size of the group's PEL.
func (g *StreamGroup) PendingCount() int { return g.pel.Len() }

// PendingCount is the size of the consumer's PEL.
func (c *StreamConsumer) PendingCount() int { return c.pel.Len() }

// Pending returns the group's pending entry for id, nil if none.
func (g *StreamGroup) Pending(id StreamID) *PendingEntry {
	p, _ := g.pel.Get(&PendingEntry{ID: id})
	return p
}

// AscendPending calls fn for the group's pending entries with start <= ID <= end, in
// order, until it returns false.
func (g *StreamGroup) AscendPending(start, end StreamID, fn func(p *PendingEntry) bool) {
	ascendPEL(g.pel, start, end, fn)
}

// AscendPending is the consumer's AscendPending.
func (c *StreamConsumer) AscendPending(start, end StreamID, fn func(p *PendingEntry) bool) {
	ascendPEL(c.pel, start, end, fn)
}

func ascendPEL(t *btree.BTreeG[*PendingEntry], start, end StreamID, fn func(p *PendingEntry) bool) {
	t.AscendGreaterOrEqual(&PendingEntry{ID: start}, func(p *PendingEntry) bool {
		if end.Less(p.ID) {
			return false
		}
		return fn(p)
	})
}

// Deliver records that new entry id went to consumer c at now: a new pending entry, or
// an existing one (the group's last ID was moved back) given to c and counted as a
// first delivery, as Redis does.
func (g *StreamGroup) Deliver(id StreamID, c *StreamConsumer, now int64) {
	if p := g.Pending(id); p != nil {
		g.Claim(p, c)
		p.DeliveryTime = now
		p.DeliveryCount = 1
		return
	}
	p := &PendingEntry{ID: id, Consumer: c, DeliveryTime: now, DeliveryCount: 1}
	g.pel.ReplaceOrInsert(p)
	c.pel.ReplaceOrInsert(p)
}

// Claim gives the pending entry p to consumer c (XCLAIM, XAUTOCLAIM).
func (g *StreamGroup) Claim(p *PendingEntry, c *StreamConsumer) {
	if p.Consumer != c {
		p.Consumer.pel.Delete(p)
		p.Consumer = c
		c.pel.ReplaceOrInsert(p)
	}
}

// AddPending inserts a pending entry owned by c (XCLAIM … FORCE of an entry not yet
// pending).
func (g *StreamGroup) AddPending(id StreamID, c *StreamConsumer, deliveryTime, count int64) *PendingEntry {
	p := &PendingEntry{ID: id, Consumer: c, DeliveryTime: deliveryTime, DeliveryCount: count}
	g.pel.ReplaceOrInsert(p)
	c.pel.ReplaceOrInsert(p)
	return p
}

// Ack removes id from the PEL and reports whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	p, ok := g.pel.Delete(&PendingEntry{ID: id})
	if ok {
		p.Consumer.pel.Delete(p)
	}
	return ok
}

// Lag is the number of entries the group has yet to read, ok false when it cannot be
// known (Redis's XINFO GROUPS lag).
func (s *Stream) Lag(g *StreamGroup) (lag int64, ok bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead >= 0 && !s.HasTombstones(g.LastID, MaxStreamID) {
		return s.EntriesAdded - g.EntriesRead, true
	}
	if n := s.EntriesBefore(g.LastID); n >= 0 {
		return s.EntriesAdded - n, true
	}
	return 0, false
}

// Advance moves the group past entry id, delivered to it: its last ID and logical read
// counter follow (Redis's streamReplyWithRange bookkeeping).
func (s *Stream) Advance(g *StreamGroup, id StreamID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead >= 0 && !s.HasTombstones(id, MaxStreamID) {
		g.EntriesRead++
	} else if s.EntriesAdded > 0 {
		g.EntriesRead = s.EntriesBefore(id)
	}
	g.LastID = id
}
