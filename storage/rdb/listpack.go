package rdb

import (
	"encoding/binary"
	"strconv"
)

// Listpacks (Redis's listpack.c layout): a 4-byte total size and a 2-byte element
// count (little endian), the entries, and 0xFF. An entry is its encoding and data —
// small integers inline, strings with a 6-, 12- or 32-bit length — then its own length
// written backwards (backlen), so the list can be walked from either end.

const lpEnd = 0xFF

// lpIntEncode appends the integer entry of v (without backlen) and returns it.
func lpIntEncode(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint16(v) & 0x1fff
		return append(b, 0xC0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		return binary.LittleEndian.AppendUint16(append(b, 0xF1), uint16(v))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		return append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		return binary.LittleEndian.AppendUint32(append(b, 0xF3), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xF4), uint64(v))
}

func lpBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// ListpackBuilder builds a listpack.
type ListpackBuilder struct {
	b []byte
	n int
}

// Append adds an element, as an integer entry when it is one in canonical form.
func (lb *ListpackBuilder) Append(s []byte) {
	if lb.b == nil {
		lb.b = make([]byte, 6, 64)
	}
	start := len(lb.b)
	if len(s) > 0 && len(s) <= 20 {
		if v, ok := canonicalInt(s); ok {
			lb.b = lpIntEncode(lb.b, v)
			lb.b = lpBacklen(lb.b, len(lb.b)-start)
			lb.n++
			return
		}
	}
	switch l := len(s); {
	case l < 64:
		lb.b = append(lb.b, 0x80|byte(l))
	case l < 4096:
		lb.b = append(lb.b, 0xE0|byte(l>>8), byte(l))
	default:
		lb.b = binary.LittleEndian.AppendUint32(append(lb.b, 0xF0), uint32(l))
	}
	lb.b = append(lb.b, s...)
	lb.b = lpBacklen(lb.b, len(lb.b)-start)
	lb.n++
}

// Bytes finishes the listpack.
func (lb *ListpackBuilder) Bytes() []byte {
	if lb.b == nil {
		lb.b = make([]byte, 6, 7)
	}
	b := append(lb.b, lpEnd)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	n := lb.n
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(n))
	return b
}

// backlenSize is the number of bytes lpBacklen writes for an entry of l bytes.
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// ListpackEach calls fn with every element of lp (integers as decimal strings, in a
// scratch buffer valid during the call); ErrBadFormat for a malformed listpack.
func ListpackEach(lp []byte, fn func(elem []byte) error) error {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEnd {
		return ErrBadFormat
	}
	var num [24]byte
	p := 6
	for p < len(lp)-1 {
		c := lp[p]
		var elem []byte
		var size int // encoding + data
		switch {
		case c&0x80 == 0:
			elem, size = strconv.AppendInt(num[:0], int64(c), 10), 1
		case c&0xC0 == 0x80:
			l := int(c & 0x3f)
			size = 1 + l
			if p+size > len(lp)-1 {
				return ErrBadFormat
			}
			elem = lp[p+1 : p+size]
		case c&0xE0 == 0xC0:
			if p+2 > len(lp)-1 {
				return ErrBadFormat
			}
			u := uint16(c&0x1f)<<8 | uint16(lp[p+1])
			v := int64(u)
			if u&0x1000 != 0 {
				v -= 1 << 13
			}
			elem, size = strconv.AppendInt(num[:0], v, 10), 2
		case c&0xF0 == 0xE0:
			if p+2 > len(lp)-1 {
				return ErrBadFormat
			}
			l := int(c&0x0f)<<8 | int(lp[p+1])
			size = 2 + l
			if p+size > len(lp)-1 {
				return ErrBadFormat
			}
			elem = lp[p+2 : p+size]
		default:
			var v int64
			switch c {
			case 0xF0:
				if p+5 > len(lp)-1 {
					return ErrBadFormat
				}
				l := int(binary.LittleEndian.Uint32(lp[p+1:]))
				if l < 0 || l > len(lp) {
					return ErrBadFormat
				}
				size = 5 + l
				if p+size > len(lp)-1 {
					return ErrBadFormat
				}
				elem = lp[p+5 : p+size]
			case 0xF1, 0xF2, 0xF3, 0xF4:
				w := map[byte]int{0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[c]
				size = 1 + w
				if p+size > len(lp)-1 {
					return ErrBadFormat
				}
				var u uint64
				for i := w - 1; i >= 0; i-- {
					u = u<<8 | uint64(lp[p+1+i])
				}
				shift := uint(64 - 8*w)
				v = int64(u<<shift) >> shift
				elem = strconv.AppendInt(num[:0], v, 10)
			default:
				return ErrBadFormat
			}
		}
		// Skip the backlen (1 to 5 bytes, each but the first with the high bit set
		// when read backwards; its length follows from size).
		p += size + backlenSize(size)
		if p > len(lp)-1 {
			return ErrBadFormat
		}
		if err := fn(elem); err != nil {
			return err
		}
	}
	return nil
}

// AppendIntset appends an intset blob of the sorted values vals.
func AppendIntset(b []byte, vals []int64) []byte {
	width := 2
	for _, v := range vals {
		switch {
		case v < -2147483648 || v > 2147483647:
			width = 8
		case (v < -32768 || v > 32767) && width < 4:
			width = 4
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// IntsetEach calls fn with every value of an intset blob.
func IntsetEach(b []byte, fn func(v int64) error) error {
	if len(b) < 8 {
		return ErrBadFormat
	}
	width := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if width != 2 && width != 4 && width != 8 || n < 0 || len(b) != 8+n*width {
		return ErrBadFormat
	}
	for i := range n {
		p := 8 + i*width
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b[p:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b[p:])))
		default:
			v = int64(binary.LittleEndian.Uint64(b[p:]))
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}
