package rdb

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// RDB value types (rdb.h).
const (
	TypeString         = 0
	TypeList           = 1
	TypeSet            = 2
	TypeZset           = 3
	TypeHash           = 4
	TypeZset2          = 5
	TypeHashZipmap     = 9
	TypeListZiplist    = 10
	TypeSetIntset      = 11
	TypeZsetZiplist    = 12
	TypeHashZiplist    = 13
	TypeListQuicklist  = 14
	TypeHashListpack   = 16
	TypeZsetListpack   = 17
	TypeListQuicklist2 = 18
)

// quicklist node containers.
const (
	containerPlain  = 1
	containerPacked = 2
)

// listpackNodeBytes bounds the listpacks a list is written in (Redis's default fill,
// list-max-listpack-size -2: 8 KiB).
const listpackNodeBytes = 8192

// encoder writes values; compress is rdbcompression (LZF for strings over 20 bytes).
type encoder struct{ compress bool }

// str appends an RDB string as Redis's rdbSaveRawString: an integer encoding when it
// is one, else LZF when enabled and smaller, else raw.
func (e encoder) str(b, s []byte) []byte {
	if e.compress && len(s) > 20 {
		if nb, ok := appendLZF(b, s); ok {
			return nb
		}
	}
	return AppendString(b, s)
}

// blob appends a binary string (listpack, intset): LZF when enabled and smaller, else
// raw.
func (e encoder) blob(b, s []byte) []byte {
	if e.compress {
		if nb, ok := appendLZF(b, s); ok {
			return nb
		}
	}
	b = AppendLen(b, uint64(len(s)))
	return append(b, s...)
}

// AppendValue appends the RDB encoding of a value — its type byte, then the value — as
// Redis 7.0 writes it: str is a plain string value (v nil), else v is the value.
// compress is rdbcompression.
func AppendValue(b []byte, str []byte, v storage.Value, compress bool) ([]byte, error) {
	e := encoder{compress}
	if v == nil {
		return e.str(append(b, TypeString), str), nil
	}
	switch x := v.(type) {
	case *storage.RawString:
		return e.str(append(b, TypeString), x.B), nil
	case *storage.List:
		return e.appendList(b, x), nil
	case *storage.Set:
		return e.appendSet(b, x), nil
	case *storage.ZSet:
		return e.appendZset(b, x), nil
	case *storage.Hash:
		return e.appendHash(b, x), nil
	case *storage.Stream:
		return e.appendStream(b, x), nil
	}
	return b, ErrUnsupported
}

// ErrUnsupported is returned for a value this package cannot serialize yet.
var ErrUnsupported = errorString("value type not supported by the RDB encoder yet")

type errorString string

func (e errorString) Error() string { return string(e) }

func (e encoder) appendList(b []byte, l *storage.List) []byte {
	b = append(b, TypeListQuicklist2)
	var nodes [][]byte
	var lb ListpackBuilder
	size := 0
	l.Each(func(e []byte) bool {
		if size > 0 && size+len(e) > listpackNodeBytes {
			nodes = append(nodes, lb.Bytes())
			lb, size = ListpackBuilder{}, 0
		}
		lb.Append(e)
		size += len(e) + 2
		return true
	})
	if size > 0 || len(nodes) == 0 {
		nodes = append(nodes, lb.Bytes())
	}
	b = AppendLen(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = AppendLen(b, containerPacked)
		b = e.blob(b, n)
	}
	return b
}

func (e encoder) appendSet(b []byte, s *storage.Set) []byte {
	if s.IsIntset() {
		vals := make([]int64, 0, s.Len())
		s.Each(func(e []byte) bool {
			v, _ := strconv.ParseInt(string(e), 10, 64)
			vals = append(vals, v)
			return true
		})
		slices.Sort(vals)
		blob := AppendIntset(nil, vals)
		return e.blob(append(b, TypeSetIntset), blob)
	}
	b = append(b, TypeSet)
	b = AppendLen(b, uint64(s.Len()))
	s.Each(func(m []byte) bool {
		b = e.str(b, m)
		return true
	})
	return b
}

func (e encoder) appendZset(b []byte, z *storage.ZSet) []byte {
	if z.Encoding() == "listpack" {
		var lb ListpackBuilder
		z.Range(0, z.Len()-1, false, func(m []byte, score float64) bool {
			lb.Append(m)
			lb.Append(strconv.AppendFloat(nil, score, 'g', 17, 64))
			return true
		})
		blob := lb.Bytes()
		return e.blob(append(b, TypeZsetListpack), blob)
	}
	b = append(b, TypeZset2)
	b = AppendLen(b, uint64(z.Len()))
	// From the highest score down, as Redis writes them (the loader then appends).
	z.Range(0, z.Len()-1, true, func(m []byte, score float64) bool {
		b = e.str(b, m)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(score))
		return true
	})
	return b
}

func (e encoder) appendHash(b []byte, h *storage.Hash) []byte {
	if h.Encoding() == "listpack" {
		var lb ListpackBuilder
		h.Each(func(f, v []byte) bool {
			lb.Append(f)
			lb.Append(v)
			return true
		})
		blob := lb.Bytes()
		return e.blob(append(b, TypeHashListpack), blob)
	}
	b = append(b, TypeHash)
	b = AppendLen(b, uint64(h.Len()))
	h.Each(func(f, v []byte) bool {
		b = e.str(b, f)
		b = e.str(b, v)
		return true
	})
	return b
}

// ReadValue decodes a value of RDB type typ: a plain string (v nil) or a Value built
// with the encoding thresholds of lim.
func (r *Reader) ReadValue(typ byte, lim *storage.Limits) (str []byte, v storage.Value, err error) {
	switch typ {
	case TypeString:
		s, err := r.String()
		return s, nil, err
	case TypeList:
		n, err := r.nonEmptyCount()
		if err != nil {
			return nil, nil, err
		}
		l := storage.NewListFill(int(lim.ListMaxListpackSize.Load()))
		for range n {
			e, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			l.PushBack(e)
		}
		return nil, l, nil
	case TypeListQuicklist2:
		n, err := r.nonEmptyCount()
		if err != nil {
			return nil, nil, err
		}
		l := storage.NewListFill(int(lim.ListMaxListpackSize.Load()))
		for range n {
			container, enc, err := r.Len()
			if err != nil || enc {
				return nil, nil, ErrBadFormat
			}
			blob, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			switch container {
			case containerPlain:
				l.PushBack(blob)
			case containerPacked:
				if err := ListpackEach(blob, func(e []byte) error { l.PushBack(e); return nil }); err != nil {
					return nil, nil, err
				}
			default:
				return nil, nil, ErrBadFormat
			}
		}
		if l.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, l, nil
	case TypeSet:
		n, err := r.nonEmptyCount()
		if err != nil {
			return nil, nil, err
		}
		s := storage.NewSet()
		for range n {
			e, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			s.Add(e, lim)
		}
		return nil, s, nil
	case TypeSetIntset:
		blob, err := r.String()
		if err != nil {
			return nil, nil, err
		}
		s := storage.NewSet()
		err = IntsetEach(blob, func(x int64) error {
			s.Add(strconv.AppendInt(nil, x, 10), lim)
			return nil
		})
		if err != nil || s.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, s, nil
	case TypeZset, TypeZset2:
		n, err := r.nonEmptyCount()
		if err != nil {
			return nil, nil, err
		}
		z := storage.NewZSet()
		for range n {
			m, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			var score float64
			if typ == TypeZset2 {
				raw, err := r.take(8)
				if err != nil {
					return nil, nil, err
				}
				score = math.Float64frombits(binary.LittleEndian.Uint64(raw))
			} else {
				l, err := r.byte()
				if err != nil {
					return nil, nil, err
				}
				switch l {
				case 253:
					score = math.NaN()
				case 254:
					score = math.Inf(1)
				case 255:
					score = math.Inf(-1)
				default:
					raw, err := r.take(uint64(l))
					if err != nil {
						return nil, nil, err
					}
					if score, err = strconv.ParseFloat(string(raw), 64); err != nil {
						return nil, nil, ErrBadFormat
					}
				}
			}
			if math.IsNaN(score) {
				return nil, nil, ErrBadFormat
			}
			z.Add(m, score, 0, lim)
		}
		return nil, z, nil
	case TypeZsetListpack:
		blob, err := r.String()
		if err != nil {
			return nil, nil, err
		}
		z := storage.NewZSet()
		var member []byte
		err = ListpackEach(blob, func(e []byte) error {
			if member == nil {
				member = append([]byte{}, e...)
				return nil
			}
			score, err := strconv.ParseFloat(string(e), 64)
			if err != nil || math.IsNaN(score) {
				return ErrBadFormat
			}
			z.Add(member, score, 0, lim)
			member = nil
			return nil
		})
		if err != nil || member != nil || z.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, z, nil
	case TypeHash:
		n, err := r.nonEmptyCount()
		if err != nil {
			return nil, nil, err
		}
		h := storage.NewHash()
		for range n {
			f, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			v, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			h.Set(f, v, lim)
		}
		return nil, h, nil
	case TypeHashListpack:
		blob, err := r.String()
		if err != nil {
			return nil, nil, err
		}
		h := storage.NewHash()
		var field []byte
		err = ListpackEach(blob, func(e []byte) error {
			if field == nil {
				field = append([]byte{}, e...)
				return nil
			}
			h.Set(field, e, lim)
			field = nil
			return nil
		})
		if err != nil || field != nil || h.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, h, nil
	case TypeListZiplist, TypeListQuicklist:
		nodes := 1
		if typ == TypeListQuicklist {
			if nodes, err = r.nonEmptyCount(); err != nil {
				return nil, nil, err
			}
		}
		l := storage.NewListFill(int(lim.ListMaxListpackSize.Load()))
		for range nodes {
			blob, err := r.String()
			if err != nil {
				return nil, nil, err
			}
			if err := ZiplistEach(blob, func(e []byte) error { l.PushBack(e); return nil }); err != nil {
				return nil, nil, err
			}
		}
		if l.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, l, nil
	case TypeZsetZiplist, TypeHashZiplist:
		blob, err := r.String()
		if err != nil {
			return nil, nil, err
		}
		var pairs [][]byte
		if err := ZiplistEach(blob, func(e []byte) error { pairs = append(pairs, append([]byte(nil), e...)); return nil }); err != nil {
			return nil, nil, err
		}
		if len(pairs) == 0 || len(pairs)%2 != 0 {
			return nil, nil, ErrBadFormat
		}
		if typ == TypeHashZiplist {
			h := storage.NewHash()
			for i := 0; i < len(pairs); i += 2 {
				h.Set(pairs[i], pairs[i+1], lim)
			}
			return nil, h, nil
		}
		z := storage.NewZSet()
		for i := 0; i < len(pairs); i += 2 {
			score, err := strconv.ParseFloat(string(pairs[i+1]), 64)
			if err != nil || math.IsNaN(score) {
				return nil, nil, ErrBadFormat
			}
			z.Add(pairs[i], score, 0, lim)
		}
		return nil, z, nil
	case TypeHashZipmap:
		blob, err := r.String()
		if err != nil {
			return nil, nil, err
		}
		h := storage.NewHash()
		if err := ZipmapEach(blob, func(f, v []byte) error { h.Set(f, v, lim); return nil }); err != nil || h.Len() == 0 {
			return nil, nil, ErrBadFormat
		}
		return nil, h, nil
	case TypeStreamListpacks, TypeStreamListpacks2:
		st, err := r.readStream(typ, lim, 100, 4096)
		if err != nil {
			return nil, nil, err
		}
		return nil, st, nil
	}
	return nil, nil, ErrBadFormat
}

// nonEmptyCount reads a collection's element count: Redis refuses empty collections.
func (r *Reader) nonEmptyCount() (int, error) {
	n, err := r.Count()
	if err == nil && n == 0 {
		err = ErrBadFormat
	}
	return n, err
}

// Dump returns the DUMP payload of a value: its RDB encoding (compress: rdbcompression),
// the RDB version (2 bytes) and the CRC64 of both (8 bytes), little endian.
func Dump(str []byte, v storage.Value, compress bool) ([]byte, error) {
	b, err := AppendValue(nil, str, v, compress)
	if err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b)), nil
}

// ErrPayload is the error of a payload whose version or checksum is wrong.
var ErrPayload = errorString("payload version or checksum are wrong")

// Restore decodes a DUMP payload.
func Restore(payload []byte, lim *storage.Limits) (str []byte, v storage.Value, err error) {
	if len(payload) < 10 {
		return nil, nil, ErrPayload
	}
	body := payload[:len(payload)-10]
	ver := binary.LittleEndian.Uint16(payload[len(payload)-10:])
	crc := binary.LittleEndian.Uint64(payload[len(payload)-8:])
	if ver > Version || crc != CRC64(0, payload[:len(payload)-8]) {
		return nil, nil, ErrPayload
	}
	if len(body) == 0 {
		return nil, nil, ErrBadFormat
	}
	r := &Reader{B: body, Off: 1}
	return r.ReadValue(body[0], lim)
}
