package node

import (
	"math"

	"github.com/shoal-db/shoal/storage"
)

// BITFIELD operations and overflow policies.
const (
	bfGet = iota
	bfSet
	bfIncrby
)

const (
	bfWrap = iota
	bfSat
	bfFail
)

// bfOp is one parsed BITFIELD operation.
type bfOp struct {
	offset uint64
	value  int64 // SET value or INCRBY increment
	op     int
	ovf    int // overflow policy in force for this operation
	width  int
	signed bool
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// cmdBitfield is BITFIELD key [GET type offset] [SET type offset value]
// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
func cmdBitfield(c *Client) { c.bitfield(false) }

// cmdBitfieldRO is BITFIELD_RO key [GET type offset ...]: it parses like BITFIELD but
// refuses any write.
func cmdBitfieldRO(c *Client) { c.bitfield(true) }

// bitfield parses every operation first (any error answers alone), then runs them in
// order on the string, answering an array with one integer per operation (null for a
// write refused by OVERFLOW FAIL). Writes grow the string to the farthest bit written.
func (c *Client) bitfield(readOnly bool) {
	var buf [8]bfOp
	ops := buf[:0]
	ovf := bfWrap
	writes := false
	var highest uint64 // farthest bit written
	for j := 2; j < len(c.args); j++ {
		remaining := len(c.args) - j - 1
		var op int
		switch {
		case c.is(j, "GET") && remaining >= 2:
			op = bfGet
		case c.is(j, "SET") && remaining >= 3:
			op = bfSet
		case c.is(j, "INCRBY") && remaining >= 3:
			op = bfIncrby
		case c.is(j, "OVERFLOW") && remaining >= 1:
			j++
			switch {
			case c.is(j, "WRAP"):
				ovf = bfWrap
			case c.is(j, "SAT"):
				ovf = bfSat
			case c.is(j, "FAIL"):
				ovf = bfFail
			default:
				c.Err("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.Err(errSyntax)
			return
		}
		signed, width, ok := bitfieldType(c.args[j+1])
		if !ok {
			c.Err(errBitfieldType)
			return
		}
		off, ok := c.bitOffsetArg(j+2, true, width)
		if !ok {
			return
		}
		o := bfOp{offset: off, op: op, ovf: ovf, width: width, signed: signed}
		if op != bfGet {
			writes = true
			highest = max(highest, off+uint64(width)-1)
			if o.value, ok = c.intArg(j + 3); !ok {
				return
			}
			j++
		}
		ops = append(ops, o)
		j += 2
	}

	key := c.args[1]
	var str []byte
	if writes {
		if readOnly {
			c.Err("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		rs, _ := c.bitString(key, highest)
		if rs == nil {
			return
		}
		str = rs.B
	} else {
		var err error
		if str, _, err = c.db.GetString(c.slot(key), key); err != nil {
			c.ErrFor(err)
			return
		}
	}

	changes := 0
	defer func() {
		if changes > 0 {
			c.wrote(key, evString, "setbit")
			c.addDirty(changes - 1)
		}
	}()
	c.w.Array(len(ops))
	for i := range ops {
		o := &ops[i]
		if o.op == bfGet {
			v := getBitfield(str, o.offset, o.width)
			if o.signed {
				c.w.Int(signExtend(v, o.width))
			} else {
				c.w.Int(int64(v))
			}
			continue
		}
		old := getBitfield(str, o.offset, o.width)
		var newVal, reply uint64
		var overflow bool
		if o.signed {
			oldS := signExtend(old, o.width)
			var nv int64
			if o.op == bfIncrby {
				nv, overflow = signedFieldAdd(oldS, o.value, o.width, o.ovf)
				reply = uint64(nv)
			} else {
				nv, overflow = signedFieldAdd(o.value, 0, o.width, o.ovf)
				reply = uint64(oldS)
			}
			newVal = uint64(nv)
		} else {
			if o.op == bfIncrby {
				newVal, overflow = unsignedFieldAdd(old, o.value, o.width, o.ovf)
				reply = newVal
			} else {
				newVal, overflow = unsignedFieldAdd(uint64(o.value), 0, o.width, o.ovf)
				reply = old
			}
		}
		if overflow && o.ovf == bfFail {
			c.w.Null()
			continue
		}
		c.w.Int(int64(reply))
		setBitfield(str, o.offset, o.width, newVal)
		changes++
	}
}

// bitfieldType parses "i<1..64>" or "u<1..63>" (lower-case letter only, as Redis).
func bitfieldType(b []byte) (signed bool, width int, ok bool) {
	if len(b) == 0 || b[0] != 'i' && b[0] != 'u' {
		return false, 0, false
	}
	signed = b[0] == 'i'
	n, ok := storage.ParseInt(b[1:])
	if !ok || n < 1 || signed && n > 64 || !signed && n > 63 {
		return false, 0, false
	}
	return signed, int(n), true
}

// getBitfield reads the width-bit unsigned integer at bit offset off of b; bits past
// the end of b read as 0.
func getBitfield(b []byte, off uint64, width int) uint64 {
	var v uint64
	for range width {
		byteIdx := off >> 3
		var bit uint64
		if byteIdx < uint64(len(b)) {
			bit = uint64(b[byteIdx]>>(7-off&7)) & 1
		}
		v = v<<1 | bit
		off++
	}
	return v
}

// setBitfield writes the low width bits of v at bit offset off of b, which must be long
// enough.
func setBitfield(b []byte, off uint64, width int, v uint64) {
	for i := width - 1; i >= 0; i-- {
		mask := byte(1) << (7 - off&7)
		if v>>uint(i)&1 != 0 {
			b[off>>3] |= mask
		} else {
			b[off>>3] &^= mask
		}
		off++
	}
}

// signExtend interprets the low width bits of v as a two's complement integer.
func signExtend(v uint64, width int) int64 {
	if width < 64 {
		if v&(1<<(width-1)) != 0 {
			v |= math.MaxUint64 << width
		} else {
			v &^= math.MaxUint64 << width
		}
	}
	return int64(v)
}

// unsignedFieldAdd computes value+incr for a width-bit unsigned field as Redis's
// checkUnsignedBitfieldOverflow: on overflow (or underflow) it reports true and returns
// the wrapped or saturated result by policy (meaningless for FAIL).
func unsignedFieldAdd(value uint64, incr int64, width, policy int) (uint64, bool) {
	maxV := uint64(1)<<width - 1
	maxIncr := int64(maxV - value)
	minIncr := -int64(value)
	var limit uint64
	switch {
	case value > maxV || incr > 0 && incr > maxIncr:
		limit = maxV
	case incr < 0 && incr < minIncr:
		limit = 0
	default:
		return value + uint64(incr), false
	}
	if policy == bfWrap {
		return (value + uint64(incr)) & maxV, true
	}
	return limit, true
}

// signedFieldAdd is unsignedFieldAdd for a width-bit two's complement field (Redis's
// checkSignedBitfieldOverflow).
func signedFieldAdd(value, incr int64, width, policy int) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if width < 64 {
		maxV = int64(1)<<(width-1) - 1
	}
	minV := -maxV - 1
	maxIncr := int64(uint64(maxV) - uint64(value)) // may wrap; used only when value is in range
	minIncr := minV - value
	var limit int64
	switch {
	case value > maxV || width != 64 && incr > maxIncr || value >= 0 && incr > 0 && incr > maxIncr:
		limit = maxV
	case value < minV || width != 64 && incr < minIncr || value < 0 && incr < 0 && incr < minIncr:
		limit = minV
	default:
		return value + incr, false
	}
	if policy == bfWrap {
		return signExtend(uint64(value)+uint64(incr), width), true
	}
	return limit, true
}
