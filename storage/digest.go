package storage

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/bits"
)

// Digest is a digest of keys' contents that two nodes holding the same data compute
// alike, whatever their encodings and orders: the XOR of a 128-bit hash per key name
// and per element (a hash field and value, a set member, a list element with its
// position, a sorted-set member with its score and rank, a stream entry with its
// position). Being a XOR it is built in any order, a part at a time, and combined
// across keys; the zero value is the digest of nothing.
type Digest [2]uint64

// Xor adds o to d.
func (d *Digest) Xor(o Digest) { d[0], d[1] = d[0]^o[0], d[1]^o[1] }

// String is the digest as 32 hex digits.
func (d Digest) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], d[0])
	binary.BigEndian.PutUint64(b[8:], d[1])
	return hex.EncodeToString(b[:])
}

// hash128 is FNV-1a (128-bit) over length-prefixed parts.
func hash128(parts ...[]byte) Digest {
	const primeHi, primeLo = 0x0000000001000000, 0x000000000000013B
	hi, lo := uint64(0x6c62272e07bb0142), uint64(0x62b821756295c58d)
	add := func(c byte) {
		lo ^= uint64(c)
		// (hi, lo) *= prime, mod 2^128
		h1, l1 := bits.Mul64(lo, primeLo)
		h1 += hi*primeLo + lo*primeHi
		hi, lo = h1, l1
	}
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		for _, c := range n {
			add(c)
		}
		for _, c := range p {
			add(c)
		}
	}
	return Digest{hi, lo}
}

// AddKey adds a key's name and type (of v; a plain string when v is nil) and, for a
// plain string, its value str.
func (d *Digest) AddKey(key, str []byte, v Value) {
	t := TypeString
	if v != nil {
		t = v.Type()
	}
	h := hash128([]byte{'k', byte(t)}, key)
	if s, ok := v.(*RawString); ok {
		str = s.B
	}
	if t == TypeString {
		h.Xor(hash128([]byte{'s'}, key, str))
	}
	d.Xor(h)
}

// AddElem adds one element of key: a and b its parts (b nil when it has one), pos its
// position in an ordered type (0 otherwise).
func (d *Digest) AddElem(key []byte, pos uint64, a, b []byte) {
	var p [9]byte
	p[0] = 'e'
	binary.BigEndian.PutUint64(p[1:], pos)
	d.Xor(hash128(p[:], key, a, b))
}

// ZScore is a sorted-set score as AddElem takes it.
func ZScore(score float64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(score))
	return b[:]
}

// KeyDigest is the digest of one key (its name, type and every element).
func KeyDigest(key, str []byte, v Value) Digest {
	var d Digest
	d.AddKey(key, str, v)
	switch v := v.(type) {
	case *List:
		i := uint64(0)
		v.Each(func(e []byte) bool { d.AddElem(key, i, e, nil); i++; return true })
	case *Set:
		v.Each(func(m []byte) bool { d.AddElem(key, 0, m, nil); return true })
	case *ZSet:
		i := uint64(0)
		v.Range(0, v.Len()-1, false, func(m []byte, score float64) bool {
			d.AddElem(key, i, m, ZScore(score))
			i++
			return true
		})
	case *Hash:
		v.Each(func(f, val []byte) bool { d.AddElem(key, 0, f, val); return true })
	case *Stream:
		i := uint64(0)
		v.Range(StreamID{}, MaxStreamID, false, func(id StreamID, fv [][]byte) bool {
			parts := id.Append(nil)
			for _, x := range fv {
				parts = append(binary.BigEndian.AppendUint32(parts, uint32(len(x))), x...)
			}
			d.AddElem(key, i, parts, nil)
			i++
			return true
		})
	}
	return d
}
