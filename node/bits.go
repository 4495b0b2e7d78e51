package node

import (
	"encoding/binary"
	"math/bits"

	"github.com/shoal-db/shoal/storage"
)

// Bits are numbered from the most significant bit of the first byte, as in Redis.

// bitOffsetArg parses a bit offset argument as Redis's getBitOffsetFromArgument: a
// non-negative integer whose byte (offset/8) is below proto-max-bulk-len; with hash,
// "#n" means n·width (BITFIELD). It writes the error and returns false otherwise.
func (c *Client) bitOffsetArg(i int, hash bool, width int) (uint64, bool) {
	p := c.args[i]
	usehash := hash && width > 0 && len(p) > 0 && p[0] == '#'
	if usehash {
		p = p[1:]
	}
	n, ok := storage.ParseInt(p)
	if usehash {
		n *= int64(width) // wraps on overflow, as in Redis
	}
	if !ok || n < 0 || n>>3 >= c.maxBulk() {
		c.Err(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// bitString returns key's value for a bit write as Redis's lookupStringForBitCommand: a
// *storage.RawString at least maxBit/8+1 bytes long (zero-padded), created when the key
// does not exist. It writes WRONGTYPE and returns nil for another type. grown reports
// that the key was created or lengthened (a change even if no bit is then set).
func (c *Client) bitString(key []byte, maxBit uint64) (rs *storage.RawString, grown bool) {
	sl := c.slot(key)
	n := int(maxBit>>3) + 1
	rs, err := mutableString(c.db, sl, key, 0)
	switch {
	case err != nil:
		c.ErrFor(err)
		return nil, false
	case rs == nil:
		rs = &storage.RawString{B: make([]byte, n)}
		c.db.SetValue(sl, key, rs, 0, false)
		return rs, true
	}
	grown = len(rs.B) < n
	growZero(rs, n)
	return rs, grown
}

// cmdSetbit is SETBIT key offset 0|1: answers the bit's old value.
func cmdSetbit(c *Client) {
	off, ok := c.bitOffsetArg(2, false, 0)
	if !ok {
		return
	}
	on, ok := storage.ParseInt(c.args[3])
	if !ok || on&^1 != 0 {
		c.Err("ERR bit is not an integer or out of range")
		return
	}
	rs, grown := c.bitString(c.args[1], off)
	if rs == nil {
		return
	}
	p := &rs.B[off>>3]
	mask := byte(1) << (7 - off&7)
	old := *p&mask != 0
	if on == 1 {
		*p |= mask
	} else {
		*p &^= mask
	}
	if grown || old != (on == 1) {
		c.wrote(c.args[1], evString, "setbit")
	}
	c.w.Int(bitValue(old))
}

// bitValue is a bit as an integer reply.
func bitValue(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// cmdGetbit is GETBIT key offset: bits beyond the string (or of an absent key) are 0.
func cmdGetbit(c *Client) {
	off, ok := c.bitOffsetArg(2, false, 0)
	if !ok {
		return
	}
	b, _, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	if err != nil {
		c.ErrFor(err)
		return
	}
	bit := false
	if byteIdx := off >> 3; byteIdx < uint64(len(b)) {
		bit = b[byteIdx]&(1<<(7-off&7)) != 0
	}
	c.w.Int(bitValue(bit))
}

// bitRange resolves the start/end/unit arguments of BITCOUNT and BITPOS for a string
// of n bytes as Redis 7.0 does (negative indexes from the end, clipped), into an
// inclusive range of bits; empty reports a range holding no bit. endIdx 0 means no end
// argument (the range runs to the end of the string), unitIdx 0 no BYTE|BIT. The two
// commands differ in details Redis 7.0 has: BITCOUNT (bitcount true) reads the end
// before the unit, and answers an empty range when both indexes are negative and start
// > end; BITPOS reads the unit first and clips such a range instead. It writes the
// error and returns ok false for a bad integer or unit.
func (c *Client) bitRange(n int64, startIdx, endIdx, unitIdx int, bitcount bool) (first, last int64, empty, ok bool) {
	endFirst := bitcount
	start, ok := c.intArg(startIdx)
	if !ok {
		return 0, 0, false, false
	}
	var end int64
	if endIdx > 0 && endFirst {
		if end, ok = c.intArg(endIdx); !ok {
			return 0, 0, false, false
		}
	}
	isBit := false
	if unitIdx > 0 {
		switch {
		case c.is(unitIdx, "BIT"):
			isBit = true
		case c.is(unitIdx, "BYTE"):
		default:
			c.Err(errSyntax)
			return 0, 0, false, false
		}
	}
	if endIdx > 0 && !endFirst {
		if end, ok = c.intArg(endIdx); !ok {
			return 0, 0, false, false
		}
	}
	total := n
	if isBit {
		total = n * 8
	}
	if endIdx == 0 {
		end = total - 1
	}
	if bitcount && start < 0 && end < 0 && start > end {
		return 0, 0, true, true
	}
	if start < 0 {
		start = max(total+start, 0)
	}
	if end < 0 {
		end = max(total+end, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, true, true
	}
	if isBit {
		return start, end, false, true
	}
	return start * 8, end*8 + 7, false, true
}

// cmdBitcount is BITCOUNT key [start end [BYTE|BIT]]. As in Redis 7.0 the key is looked
// up first: an absent key answers 0 whatever the arguments.
func cmdBitcount(c *Client) {
	b, exists, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	switch {
	case err != nil:
		c.ErrFor(err)
		return
	case !exists:
		c.w.Int(0)
		return
	}
	first, last := int64(0), int64(len(b))*8-1
	switch len(c.args) {
	case 2:
	case 4, 5:
		unitIdx := 0
		if len(c.args) == 5 {
			unitIdx = 4
		}
		var empty, ok bool
		if first, last, empty, ok = c.bitRange(int64(len(b)), 2, 3, unitIdx, true); !ok {
			return
		} else if empty {
			c.w.Int(0)
			return
		}
	default:
		c.Err(errSyntax)
		return
	}
	c.w.Int(countBits(b, first, last))
}

// countBits counts the set bits of b in the inclusive bit range [first, last].
func countBits(b []byte, first, last int64) int64 {
	if first > last {
		return 0
	}
	fb, lb := first>>3, last>>3
	n := popcountBytes(b[fb : lb+1])
	// Remove the bits of the edge bytes that are outside the range.
	n -= int64(bits.OnesCount8(b[fb] &^ (0xff >> (first & 7))))
	n -= int64(bits.OnesCount8(b[lb] & (0xff >> (last&7 + 1))))
	return n
}

func popcountBytes(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// cmdBitpos is BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to bit in the
// range, or -1. Looking for 0 without an end, the string counts as followed by zeros,
// so the answer may be the first bit past the range (Redis's rule).
func cmdBitpos(c *Client) {
	want, ok := storage.ParseInt(c.args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if want != 0 && want != 1 {
		c.Err("ERR The bit argument must be 1 or 0.")
		return
	}
	b, exists, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	switch {
	case err != nil:
		c.ErrFor(err)
		return
	case !exists:
		// An absent key is an infinite run of zeros.
		c.w.Int(-want)
		return
	}
	first, last := int64(0), int64(len(b))*8-1
	endGiven := false
	switch len(c.args) {
	case 3:
	case 4, 5, 6:
		endIdx, unitIdx := 0, 0
		if len(c.args) >= 5 {
			endIdx, endGiven = 4, true
		}
		if len(c.args) == 6 {
			unitIdx = 5
		}
		var empty bool
		if first, last, empty, ok = c.bitRange(int64(len(b)), 3, endIdx, unitIdx, false); !ok {
			return
		} else if empty {
			c.w.Int(-1)
			return
		}
	default:
		c.Err(errSyntax)
		return
	}
	if first > last {
		c.w.Int(-1)
		return
	}
	pos := findBit(b, first, last, want == 1)
	if pos < 0 && want == 0 && !endGiven {
		pos = last + 1
	}
	c.w.Int(pos)
}

// findBit returns the position of the first bit equal to one in the inclusive bit
// range [first, last] of b, or -1.
func findBit(b []byte, first, last int64, one bool) int64 {
	var flip byte // xor makes the wanted bit a 1
	if !one {
		flip = 0xff
	}
	for i := first; i <= last; {
		byteIdx := i >> 3
		x := b[byteIdx] ^ flip
		x &= 0xff >> (i & 7) // drop the bits before i
		if byteIdx == last>>3 {
			x &= 0xff << (7 - last&7) // and those after last
		}
		if x != 0 {
			return byteIdx*8 + int64(bits.LeadingZeros8(x))
		}
		i = (byteIdx + 1) * 8
		// Skip whole words that hold no wanted bit.
		for i+64 <= last+1 {
			w := binary.BigEndian.Uint64(b[i>>3:])
			if !one {
				w = ^w
			}
			if w != 0 {
				return i + int64(bits.LeadingZeros64(w))
			}
			i += 64
		}
	}
	return -1
}

// bitopKind is a BITOP operation.
type bitopKind int

const (
	bitopAnd bitopKind = iota
	bitopOr
	bitopXor
	bitopNot
)

// cmdBitop is BITOP AND|OR|XOR|NOT destkey key [key ...]: absent sources are empty
// strings (shorter ones are zero-padded); the result of length max(len) replaces
// destkey (without an expire), or deletes it when empty. Answers the length.
func cmdBitop(c *Client) {
	var op bitopKind
	switch {
	case c.is(1, "AND"):
		op = bitopAnd
	case c.is(1, "OR"):
		op = bitopOr
	case c.is(1, "XOR"):
		op = bitopXor
	case c.is(1, "NOT"):
		op = bitopNot
	default:
		c.Err(errSyntax)
		return
	}
	if op == bitopNot && len(c.args) != 4 {
		c.Err("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, 0, len(c.args)-3)
	maxLen := 0
	for _, k := range c.args[3:] {
		b, _, err := c.db.ForRead().GetString(c.slot(k), k)
		if err != nil {
			c.ErrFor(err)
			return
		}
		srcs = append(srcs, b)
		maxLen = max(maxLen, len(b))
	}
	dst := c.args[2]
	if maxLen == 0 {
		c.clearDest(dst)
		c.w.Int(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op {
	case bitopNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case bitopAnd:
		for _, s := range srcs[1:] {
			bitopInto(res, s, op)
			clear(res[len(s):]) // zero padding
		}
	default:
		for _, s := range srcs[1:] {
			bitopInto(res, s, op)
		}
	}
	c.db.SetValue(c.slot(dst), dst, &storage.RawString{B: res}, 0, false)
	c.wrote(dst, evString, "set")
	c.w.Int(int64(maxLen))
}

// bitopInto combines s into the first len(s) bytes of res (len(res) >= len(s)).
func bitopInto(res, s []byte, op bitopKind) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x, y := binary.LittleEndian.Uint64(res[i:]), binary.LittleEndian.Uint64(s[i:])
		switch op {
		case bitopAnd:
			x &= y
		case bitopOr:
			x |= y
		case bitopXor:
			x ^= y
		}
		binary.LittleEndian.PutUint64(res[i:], x)
	}
	for ; i < len(s); i++ {
		switch op {
		case bitopAnd:
			res[i] &= s[i]
		case bitopOr:
			res[i] |= s[i]
		case bitopXor:
			res[i] ^= s[i]
		}
	}
}
