package rdb

import (
	"encoding/binary"
	"strconv"
)

// Ziplists and zipmaps: the compact encodings of RDB files written before Redis 7.0
// (lists, hashes and sorted sets in ziplists; hashes in zipmaps before 2.6), which
// Redis 7.0 still loads.

// ZiplistEach calls fn with every element of a ziplist (integers as decimal strings,
// valid during the call).
func ZiplistEach(zl []byte, fn func(elem []byte) error) error {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xFF {
		return ErrBadFormat
	}
	var num [24]byte
	p := 10
	end := len(zl) - 1
	for p < end {
		// prevlen
		if zl[p] < 254 {
			p++
		} else {
			p += 5
		}
		if p >= end {
			return ErrBadFormat
		}
		c := zl[p]
		var elem []byte
		switch c >> 6 {
		case 0:
			l := int(c & 0x3f)
			if p+1+l > end {
				return ErrBadFormat
			}
			elem, p = zl[p+1:p+1+l], p+1+l
		case 1:
			if p+2 > end {
				return ErrBadFormat
			}
			l := int(c&0x3f)<<8 | int(zl[p+1])
			if p+2+l > end {
				return ErrBadFormat
			}
			elem, p = zl[p+2:p+2+l], p+2+l
		case 2:
			if p+5 > end {
				return ErrBadFormat
			}
			l := int(binary.BigEndian.Uint32(zl[p+1:]))
			if l < 0 || l > end-p-5 {
				return ErrBadFormat
			}
			elem, p = zl[p+5:p+5+l], p+5+l
		default:
			var v int64
			var w int
			switch c {
			case 0xC0:
				w = 2
			case 0xD0:
				w = 4
			case 0xE0:
				w = 8
			case 0xF0:
				w = 3
			case 0xFE:
				w = 1
			default:
				if c < 0xF1 || c > 0xFD {
					return ErrBadFormat
				}
				v = int64(c&0x0f) - 1
			}
			if p+1+w > end {
				return ErrBadFormat
			}
			if w > 0 {
				var u uint64
				for i := w - 1; i >= 0; i-- {
					u = u<<8 | uint64(zl[p+1+i])
				}
				shift := uint(64 - 8*w)
				v = int64(u<<shift) >> shift
			}
			elem, p = strconv.AppendInt(num[:0], v, 10), p+1+w
		}
		if err := fn(elem); err != nil {
			return err
		}
	}
	return nil
}

// ZipmapEach calls fn with every field and value of a zipmap.
func ZipmapEach(zm []byte, fn func(field, value []byte) error) error {
	if len(zm) < 2 {
		return ErrBadFormat
	}
	p := 1
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		switch c := zm[p]; {
		case c < 254:
			p++
			return int(c), true
		case c == 254:
			if p+5 > len(zm) {
				return 0, false
			}
			l := int(binary.LittleEndian.Uint32(zm[p+1:]))
			p += 5
			return l, l >= 0
		}
		return 0, false
	}
	for p < len(zm) && zm[p] != 0xFF {
		kl, ok := readLen()
		if !ok || kl > len(zm)-p {
			return ErrBadFormat
		}
		key := zm[p : p+kl]
		p += kl
		vl, ok := readLen()
		if !ok || p >= len(zm) {
			return ErrBadFormat
		}
		free := int(zm[p])
		p++
		if vl > len(zm)-p || free > len(zm)-p-vl {
			return ErrBadFormat
		}
		if err := fn(key, zm[p:p+vl]); err != nil {
			return err
		}
		p += vl + free
	}
	return nil
}
