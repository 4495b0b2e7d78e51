package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// Streams in RDB (RDB_TYPE_STREAM_LISTPACKS_2, Redis 7.0): the entry nodes, each its
// master ID (16 bytes, big endian) and a listpack — a master entry (live count, deleted
// count, the master field names, 0) then per entry: flags, ms and seq deltas from the
// master ID, the values (or the field count and fields and values when the fields
// differ from the master's), and the entry's element count — then the length, last,
// first and max-deleted IDs, entries-added, and the consumer groups with their pending
// entries and consumers.

const (
	TypeStreamListpacks  = 15
	TypeStreamListpacks2 = 19

	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func appendStreamID(b []byte, id storage.StreamID) []byte {
	b = AppendLen(b, id.Ms)
	return AppendLen(b, id.Seq)
}

func rawStreamID(b []byte, id storage.StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func itoa(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

func (e encoder) appendStream(b []byte, s *storage.Stream) []byte {
	b = append(b, TypeStreamListpacks2)
	b = AppendLen(b, uint64(s.NumNodes()))
	var num []byte
	s.EachNode(func(master [][]byte, entries []storage.StreamNodeEntry) {
		first := entries[0].ID
		var lb ListpackBuilder
		live, deleted := 0, 0
		for _, en := range entries {
			if en.Deleted {
				deleted++
			} else {
				live++
			}
		}
		lb.Append(itoa(num[:0], int64(live)))
		lb.Append(itoa(num[:0], int64(deleted)))
		lb.Append(itoa(num[:0], int64(len(master))))
		for _, f := range master {
			lb.Append(f)
		}
		lb.Append([]byte("0"))
		for _, en := range entries {
			same := len(en.FV) == 2*len(master)
			for i := 0; same && i < len(master); i++ {
				same = string(en.FV[2*i]) == string(master[i])
			}
			flags := int64(0)
			if en.Deleted {
				flags |= streamFlagDeleted
			}
			if same {
				flags |= streamFlagSameFields
			}
			lb.Append(itoa(num[:0], flags))
			lb.Append(strconv.AppendUint(num[:0], en.ID.Ms-first.Ms, 10))
			lb.Append(strconv.AppendUint(num[:0], en.ID.Seq-first.Seq, 10))
			n := len(en.FV) / 2
			count := int64(n + 3)
			if same {
				for i := 1; i < len(en.FV); i += 2 {
					lb.Append(en.FV[i])
				}
			} else {
				lb.Append(itoa(num[:0], int64(n)))
				for _, x := range en.FV {
					lb.Append(x)
				}
				count += int64(n + 1)
			}
			lb.Append(itoa(num[:0], count))
		}
		b = e.blob(b, rawStreamID(nil, first))
		b = e.blob(b, lb.Bytes())
	})
	b = AppendLen(b, uint64(s.Len()))
	b = appendStreamID(b, s.LastID)
	b = appendStreamID(b, s.FirstID)
	b = appendStreamID(b, s.MaxDeletedID)
	b = AppendLen(b, uint64(s.EntriesAdded))
	names := s.GroupNames()
	b = AppendLen(b, uint64(len(names)))
	for _, name := range names {
		g := s.Group(name)
		b = e.str(b, []byte(name))
		b = appendStreamID(b, g.LastID)
		b = AppendLen(b, uint64(g.EntriesRead)) // -1 (unknown) wraps as Redis writes it
		b = AppendLen(b, uint64(g.PendingCount()))
		g.AscendPending(storage.StreamID{}, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
			b = rawStreamID(b, p.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.DeliveryTime))
			b = AppendLen(b, uint64(p.DeliveryCount))
			return true
		})
		cnames := g.ConsumerNames()
		b = AppendLen(b, uint64(len(cnames)))
		for _, cn := range cnames {
			c := g.LookupConsumer(cn)
			b = e.str(b, []byte(cn))
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			b = AppendLen(b, uint64(c.PendingCount()))
			c.AscendPending(storage.StreamID{}, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
				b = rawStreamID(b, p.ID)
				return true
			})
		}
	}
	return b
}

func (r *Reader) streamID() (storage.StreamID, error) {
	ms, enc, err := r.Len()
	if err != nil || enc {
		return storage.StreamID{}, ErrBadFormat
	}
	seq, enc, err := r.Len()
	if err != nil || enc {
		return storage.StreamID{}, ErrBadFormat
	}
	return storage.StreamID{Ms: ms, Seq: seq}, nil
}

func (r *Reader) rawStreamID() (storage.StreamID, error) {
	b, err := r.take(16)
	if err != nil {
		return storage.StreamID{}, err
	}
	return storage.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func (r *Reader) readStream(typ byte, lim *storage.Limits, nodeEntries, nodeBytes int64) (*storage.Stream, error) {
	s := storage.NewStream()
	nodes, err := r.Count()
	if err != nil {
		return nil, err
	}
	var tombstones []storage.StreamID // deleted entries: dropped on load
	for range nodes {
		key, err := r.String()
		if err != nil || len(key) != 16 {
			return nil, ErrBadFormat
		}
		master := storage.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		blob, err := r.String()
		if err != nil {
			return nil, err
		}
		var elems [][]byte
		if err := ListpackEach(blob, func(e []byte) error {
			elems = append(elems, append([]byte(nil), e...))
			return nil
		}); err != nil {
			return nil, err
		}
		if err := decodeStreamNode(s, master, elems, nodeEntries, nodeBytes, &tombstones); err != nil {
			return nil, err
		}
	}
	length, _, err := r.Len()
	if err != nil {
		return nil, err
	}
	if s.LastID, err = r.streamID(); err != nil {
		return nil, err
	}
	if typ >= TypeStreamListpacks2 {
		first, err := r.streamID()
		if err != nil {
			return nil, err
		}
		maxDel, err := r.streamID()
		if err != nil {
			return nil, err
		}
		added, enc, err := r.Len()
		if err != nil || enc {
			return nil, ErrBadFormat
		}
		s.FirstID, s.MaxDeletedID, s.EntriesAdded = first, maxDel, int64(added)
	} else {
		s.EntriesAdded = s.Len()
	}
	if uint64(s.Len()) != length {
		return nil, ErrBadFormat
	}
	groups, err := r.Count()
	if err != nil {
		return nil, err
	}
	for range groups {
		name, err := r.String()
		if err != nil {
			return nil, err
		}
		last, err := r.streamID()
		if err != nil {
			return nil, err
		}
		entriesRead := int64(-1)
		if typ >= TypeStreamListpacks2 {
			n, enc, err := r.Len()
			if err != nil || enc {
				return nil, ErrBadFormat
			}
			entriesRead = int64(n)
		}
		if s.Group(string(name)) != nil {
			return nil, ErrBadFormat
		}
		g := s.CreateGroup(string(name), last, entriesRead)
		type nack struct{ time, count int64 }
		pel := map[storage.StreamID]nack{}
		npel, err := r.Count()
		if err != nil {
			return nil, err
		}
		for range npel {
			id, err := r.rawStreamID()
			if err != nil {
				return nil, err
			}
			tb, err := r.take(8)
			if err != nil {
				return nil, err
			}
			cnt, enc, err := r.Len()
			if err != nil || enc {
				return nil, ErrBadFormat
			}
			pel[id] = nack{int64(binary.LittleEndian.Uint64(tb)), int64(cnt)}
		}
		ncons, err := r.Count()
		if err != nil {
			return nil, err
		}
		for range ncons {
			cname, err := r.String()
			if err != nil {
				return nil, err
			}
			tb, err := r.take(8)
			if err != nil {
				return nil, err
			}
			cons, _ := g.Consumer(string(cname), int64(binary.LittleEndian.Uint64(tb)))
			n, err := r.Count()
			if err != nil {
				return nil, err
			}
			for range n {
				id, err := r.rawStreamID()
				if err != nil {
					return nil, err
				}
				p, ok := pel[id]
				if !ok {
					return nil, ErrBadFormat
				}
				g.AddPending(id, cons, p.time, p.count)
				delete(pel, id)
			}
		}
		if len(pel) != 0 {
			return nil, ErrBadFormat // a pending entry without a consumer
		}
	}
	return s, nil
}

// decodeStreamNode appends the live entries of one node to s.
func decodeStreamNode(s *storage.Stream, master storage.StreamID, el [][]byte, nodeEntries, nodeBytes int64, deleted *[]storage.StreamID) error {
	num := func(i int) (int64, bool) {
		if i >= len(el) {
			return 0, false
		}
		v, err := strconv.ParseInt(string(el[i]), 10, 64)
		return v, err == nil
	}
	nf, ok := num(2)
	if !ok || nf < 0 || 3+int(nf)+1 > len(el) {
		return ErrBadFormat
	}
	fields := el[3 : 3+nf]
	p := 3 + int(nf) + 1 // skip the master terminator
	for p < len(el) {
		flags, ok1 := num(p)
		msd, ok2 := num(p + 1)
		seqd, ok3 := num(p + 2)
		if !ok1 || !ok2 || !ok3 {
			return ErrBadFormat
		}
		p += 3
		var fv [][]byte
		if flags&streamFlagSameFields != 0 {
			if p+int(nf) > len(el) {
				return ErrBadFormat
			}
			for i := range fields {
				fv = append(fv, fields[i], el[p+i])
			}
			p += int(nf)
		} else {
			n, ok := num(p)
			if !ok || n < 0 || p+1+2*int(n) > len(el) {
				return ErrBadFormat
			}
			fv = el[p+1 : p+1+2*int(n)]
			p += 1 + 2*int(n)
		}
		p++ // lp-count
		if p > len(el) {
			return ErrBadFormat
		}
		id := storage.StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)}
		if flags&streamFlagDeleted != 0 {
			*deleted = append(*deleted, id)
			continue
		}
		if !s.LastID.Less(id) && s.Len() > 0 {
			return ErrBadFormat
		}
		s.Append(id, fv, nodeEntries, nodeBytes)
	}
	return nil
}
