// Package rdb is Redis's RDB serialization as Redis 7.0 writes and reads it: lengths,
// strings (integer and LZF encodings), listpacks, intsets, the value encodings of every
// type, and the DUMP payload that wraps one value with the RDB version and a CRC64.
// Decoders check every length against the input and return an error instead of
// panicking or allocating without bound.
package rdb

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
	"strconv"
)

// Version is the RDB version Redis 7.0 writes.
const Version = 10

// ErrBadFormat is returned for malformed input.
var ErrBadFormat = errors.New("bad data format")

// Special string encodings (the low 6 bits after the 0b11 length prefix).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

var crcJones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 is Redis's crc64 (Jones polynomial, reflected, init 0, no final xor).
func CRC64(crc uint64, b []byte) uint64 {
	// Eight bytes at a time with the slicing-by-8 tables (as Redis's crcspeed), then
	// byte by byte. The CRC has no inversion on the way in or out (hence the ^ around
	// crc64.Update's convention, which the byte loop below follows directly).
	t := &crcJones8
	for len(b) >= 8 {
		crc ^= binary.LittleEndian.Uint64(b)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		b = b[8:]
	}
	for _, v := range b {
		crc = t[0][byte(crc)^v] ^ crc>>8
	}
	return crc
}

// crcJones8 are the slicing-by-8 tables of crcJones: table k maps a byte to the CRC of
// that byte followed by k zero bytes.
var crcJones8 = func() (t [8][256]uint64) {
	t[0] = *crcJones
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}()

// AppendLen appends an RDB length.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// Reader decodes RDB data from a byte slice.
type Reader struct {
	B   []byte
	Off int
}

func (r *Reader) byte() (byte, error) {
	if r.Off >= len(r.B) {
		return 0, ErrBadFormat
	}
	c := r.B[r.Off]
	r.Off++
	return c, nil
}

func (r *Reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.B)-r.Off) {
		return nil, ErrBadFormat
	}
	b := r.B[r.Off : r.Off+int(n)]
	r.Off += int(n)
	return b, nil
}

// Len reads a length; encoded is set (with the encoding in n) for a special string
// encoding.
func (r *Reader) Len() (n uint64, encoded bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		c2, err := r.byte()
		return uint64(c&0x3f)<<8 | uint64(c2), false, err
	case 2:
		switch c {
		case 0x80:
			b, err := r.take(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(b)), false, nil
		case 0x81:
			b, err := r.take(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(b), false, nil
		}
		return 0, false, ErrBadFormat
	}
	return uint64(c & 0x3f), true, nil
}

// Count reads a length used as an element count, bounded by what the input could hold
// (each element takes at least one byte).
func (r *Reader) Count() (int, error) {
	n, enc, err := r.Len()
	if err != nil || enc || n > uint64(len(r.B)-r.Off) {
		return 0, ErrBadFormat
	}
	return int(n), nil
}

// String reads an RDB string (plain, integer-encoded or LZF-compressed).
func (r *Reader) String() ([]byte, error) {
	n, enc, err := r.Len()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.take(n)
	}
	switch n {
	case encInt8:
		b, err := r.take(1)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), nil
	case encInt16:
		b, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case encInt32:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case encLZF:
		clen, e1, err := r.Len()
		if err != nil || e1 {
			return nil, ErrBadFormat
		}
		ulen, e2, err := r.Len()
		if err != nil || e2 {
			return nil, ErrBadFormat
		}
		src, err := r.take(clen)
		if err != nil {
			return nil, err
		}
		// LZF expands at most about 88 times.
		if ulen > clen*100+64 {
			return nil, ErrBadFormat
		}
		out, ok := LZFDecompress(src, int(ulen))
		if !ok {
			return nil, ErrBadFormat
		}
		return out, nil
	}
	return nil, ErrBadFormat
}

// canonicalInt parses s as an integer written in canonical form — an optional minus,
// no leading zeros, no other character, within int64 — as Redis's string2ll; it
// allocates nothing, so trying every string costs little.
func canonicalInt(s []byte) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || len(d) > 19 || d[0] == '0' && (len(d) > 1 || neg) {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// AppendString appends s as an RDB string: integer-encoded when it is a small integer
// in canonical form (as Redis's rdbTryIntegerEncoding), else raw.
func AppendString(b, s []byte) []byte {
	if len(s) <= 11 && len(s) > 0 {
		if v, ok := canonicalInt(s); ok {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, 0xC0|encInt8, byte(int8(v)))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, 0xC0|encInt16), uint16(int16(v)))
			case v >= -1<<31 && v < 1<<31:
				return binary.LittleEndian.AppendUint32(append(b, 0xC0|encInt32), uint32(int32(v)))
			}
		}
	}
	b = AppendLen(b, uint64(len(s)))
	return append(b, s...)
}

// LZFDecompress expands LZF data into exactly n bytes.
func LZFDecompress(in []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // a literal run of ctrl+1 bytes
			l := ctrl + 1
			if i+l > len(in) || len(out)+l > n {
				return nil, false
			}
			out = append(out, in[i:i+l]...)
			i += l
			continue
		}
		l := ctrl >> 5 // a back reference
		if l == 7 {
			if i >= len(in) {
				return nil, false
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, false
		}
		for k := range l {
			out = append(out, out[ref+k])
		}
	}
	return out, len(out) == n
}

// LZFCompress compresses in with LZF; nil when the result would not be shorter.
func LZFCompress(in []byte) []byte {
	if len(in) < 4 {
		return nil
	}
	const hashBits = 14
	var htab [1 << hashBits]int32
	out := make([]byte, 0, len(in))
	litIdx := 0
	out = append(out, 0)
	lit := 0
	emitLit := func(c byte) {
		out = append(out, c)
		lit++
		if lit == 32 {
			out[litIdx] = 31
			litIdx = len(out)
			out = append(out, 0)
			lit = 0
		}
	}
	ip := 0
	for ip+2 < len(in) {
		h := (uint32(in[ip])<<16 | uint32(in[ip+1])<<8 | uint32(in[ip+2])) * 2654435761 >> (32 - hashBits)
		ref := int(htab[h]) - 1
		htab[h] = int32(ip + 1)
		off := ip - ref - 1
		if ref >= 0 && off < 8192 && in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			maxLen := min(len(in)-ip, 264)
			l := 3
			for l < maxLen && in[ref+l] == in[ip+l] {
				l++
			}
			if lit > 0 {
				out[litIdx] = byte(lit - 1)
			} else {
				out = out[:len(out)-1]
			}
			enc := l - 2
			if enc < 7 {
				out = append(out, byte(off>>8)|byte(enc<<5))
			} else {
				out = append(out, byte(off>>8)|7<<5, byte(enc-7))
			}
			out = append(out, byte(off))
			ip += l
			litIdx = len(out)
			out = append(out, 0)
			lit = 0
			if len(out) >= len(in) {
				return nil
			}
			continue
		}
		emitLit(in[ip])
		ip++
		if len(out) >= len(in) {
			return nil
		}
	}
	for ip < len(in) {
		emitLit(in[ip])
		ip++
	}
	if lit > 0 {
		out[litIdx] = byte(lit - 1)
	} else {
		out = out[:len(out)-1]
	}
	if len(out) >= len(in) {
		return nil
	}
	return out
}

// appendLZF appends s as an LZF-compressed RDB string when that saves space (Redis
// compresses strings over 20 bytes with rdbcompression yes), else raw; ok reports
// whether it compressed.
func appendLZF(b, s []byte) ([]byte, bool) {
	if len(s) <= 20 {
		return b, false
	}
	c := LZFCompress(s)
	if c == nil || len(c) > len(s)-4 {
		return b, false
	}
	b = append(b, 0xC0|encLZF)
	b = AppendLen(b, uint64(len(c)))
	b = AppendLen(b, uint64(len(s)))
	return append(b, c...), true
}
