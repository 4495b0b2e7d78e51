package node

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// HyperLogLog with Redis's exact representation, so values (GET, DUMP) move between
// shoal and Redis: a string starting with the 16-byte header "HYLL", encoding (0 dense,
// 1 sparse), 3 unused bytes and the cached cardinality (little endian; the top bit of
// its last byte set means stale), then 16384 6-bit registers — packed (dense), or
// run-length coded with Redis's ZERO/XZERO/VAL opcodes (sparse, until
// hll-sparse-max-bytes). Element hashing (MurmurHash64A, seed 0xadc83b19), the sparse
// update and merge steps, and the estimator (Ertl's, as Redis 7) are Redis's.

const (
	hllP         = 14
	hllQ         = 64 - hllP
	hllRegisters = 1 << hllP
	hllPMask     = hllRegisters - 1
	hllBits      = 6
	hllRegMax    = 1<<hllBits - 1
	hllHdrSize   = 16
	hllDenseSize = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense     = 0
	hllSparse    = 1

	hllSparseValMaxValue = 32
	hllSparseValMaxLen   = 4
	hllSparseZeroMaxLen  = 64
	hllSparseXZeroMaxLen = 16384
)

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// murmurHash64A is Austin Appleby's MurmurHash64A, as Redis's hyperloglog.c uses it
// (little-endian reads).
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element maps to and the run length of zeros (+1)
// it observed.
func hllPatLen(ele []byte) (reg int, count int) {
	hash := murmurHash64A(ele, 0xadc83b19)
	reg = int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	return reg, bits.TrailingZeros64(hash) + 1
}

// newHLL returns an empty sparse HyperLogLog: one XZERO opcode covering every register.
func newHLL() []byte {
	b := make([]byte, hllHdrSize, hllHdrSize+2)
	copy(b, "HYLL")
	b[4] = hllSparse
	n := hllRegisters - 1
	return append(b, 0x40|byte(n>>8), byte(n))
}

// validHLL reports whether b is a HyperLogLog string (isHLLObjectOrReply).
func validHLL(b []byte) bool {
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllSparse {
		return false
	}
	return b[4] != hllDense || len(b) == hllDenseSize
}

func hllInvalidateCache(b []byte) { b[15] |= 1 << 7 }

func hllCacheValid(b []byte) bool { return b[15]&(1<<7) == 0 }

// dense register access; the registers start at b[hllHdrSize:].
func denseGet(regs []byte, i int) uint8 {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[byt])
	var b1 uint
	if byt+1 < len(regs) {
		b1 = uint(regs[byt+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

func denseSet(regs []byte, i int, v uint8) {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	regs[byt] &^= hllRegMax << fb
	regs[byt] |= v << fb
	if byt+1 < len(regs) {
		regs[byt+1] &^= hllRegMax >> (8 - fb)
		regs[byt+1] |= v >> (8 - fb)
	}
}

// sparse opcodes.
func isZero(op byte) bool  { return op&0xc0 == 0 }
func isXZero(op byte) bool { return op&0xc0 == 0x40 }
func valValue(op byte) int { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int   { return int(op&0x3) + 1 }
func zeroLen(op byte) int  { return int(op&0x3f) + 1 }
func xzeroLen(p []byte) int {
	return (int(p[0]&0x3f)<<8 | int(p[1])) + 1
}
func valOp(v, n int) byte { return 0x80 | byte(v-1)<<2 | byte(n-1) }

// appendZeros appends a ZERO or XZERO opcode for n registers.
func appendZeros(b []byte, n int) []byte {
	if n > hllSparseZeroMaxLen {
		n--
		return append(b, 0x40|byte(n>>8), byte(n))
	}
	return append(b, byte(n-1))
}

// sparseRegisters decodes a sparse body into registers; false when corrupt.
func sparseRegisters(body []byte, regs *[hllRegisters]uint8) bool {
	idx := 0
	for p := 0; p < len(body); {
		op := body[p]
		switch {
		case isZero(op):
			idx += zeroLen(op)
			p++
		case isXZero(op):
			if p+1 >= len(body) {
				return false
			}
			idx += xzeroLen(body[p:])
			p += 2
		default:
			n, v := valLen(op), valValue(op)
			if idx+n > hllRegisters {
				return false
			}
			for j := 0; j < n; j++ {
				regs[idx+j] = uint8(v)
			}
			idx += n
			p++
		}
		if idx > hllRegisters {
			return false
		}
	}
	return idx == hllRegisters
}

// hllRegistersOf decodes any HyperLogLog into its registers.
func hllRegistersOf(b []byte, regs *[hllRegisters]uint8) bool {
	if b[4] == hllDense {
		for i := range hllRegisters {
			regs[i] = denseGet(b[hllHdrSize:], i)
		}
		return true
	}
	return sparseRegisters(b[hllHdrSize:], regs)
}

// hllToDense converts a sparse HyperLogLog to the dense encoding.
func hllToDense(b []byte) ([]byte, bool) {
	if b[4] == hllDense {
		return b, true
	}
	var regs [hllRegisters]uint8
	if !sparseRegisters(b[hllHdrSize:], &regs) {
		return nil, false
	}
	d := make([]byte, hllDenseSize)
	copy(d, b[:hllHdrSize])
	d[4] = hllDense
	for i, v := range regs {
		if v != 0 {
			denseSet(d[hllHdrSize:], i, v)
		}
	}
	return d, true
}

// hllSet raises register index to count (if higher). It returns the new value, whether
// a register changed, and false when the sparse body is corrupt. A sparse HyperLogLog
// is converted to dense when the value or the size no longer fits sparse.
func hllSet(b []byte, index, count int, sparseMax int64) ([]byte, bool, bool) {
	if b[4] == hllDense {
		regs := b[hllHdrSize:]
		if int(denseGet(regs, index)) >= count {
			return b, false, true
		}
		denseSet(regs, index, uint8(count))
		return b, true, true
	}
	if count > hllSparseValMaxValue {
		return hllPromoteSet(b, index, count)
	}
	body := b[hllHdrSize:]
	// Step 1: find the opcode covering index.
	first, span := 0, 0
	p, prev := 0, -1
	for p < len(body) {
		oplen := 1
		switch op := body[p]; {
		case isZero(op):
			span = zeroLen(op)
		case isXZero(op):
			if p+1 >= len(body) {
				return nil, false, false
			}
			span = xzeroLen(body[p:])
			oplen = 2
		default:
			span = valLen(op)
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= len(body) {
		return nil, false, false
	}
	op := body[p]
	isV, isZ, isX := !isZero(op) && !isXZero(op), isZero(op), isXZero(op)
	// Step 2: the in-place cases.
	switch {
	case isV && valValue(op) >= count:
		return b, false, true
	case isV && valLen(op) == 1, isZ && zeroLen(op) == 1:
		body[p] = valOp(count, 1)
		return hllMergeVals(b, prev), true, true
	}
	// Step 3: split the opcode into up to five.
	last := first + span - 1
	seq := make([]byte, 0, 5)
	if isZ || isX {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	} else {
		cur := valValue(op)
		if index != first {
			seq = append(seq, valOp(cur, index-first))
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = append(seq, valOp(cur, last-index))
		}
	}
	oldlen := 1
	if isX {
		oldlen = 2
	}
	if delta := len(seq) - oldlen; delta > 0 && int64(len(b)+delta) > sparseMax {
		return hllPromoteSet(b, index, count)
	}
	nb := make([]byte, 0, len(b)+len(seq)-oldlen)
	nb = append(nb, b[:hllHdrSize+p]...)
	nb = append(nb, seq...)
	nb = append(nb, b[hllHdrSize+p+oldlen:]...)
	return hllMergeVals(nb, prev), true, true
}

// hllPromoteSet converts to dense and sets the register.
func hllPromoteSet(b []byte, index, count int) ([]byte, bool, bool) {
	d, ok := hllToDense(b)
	if !ok {
		return nil, false, false
	}
	regs := d[hllHdrSize:]
	if int(denseGet(regs, index)) >= count {
		return d, true, true // the conversion itself changed the value
	}
	denseSet(regs, index, uint8(count))
	return d, true, true
}

// hllMergeVals merges adjacent VAL opcodes of equal value, scanning up to five opcodes
// from prev (the opcode before the one updated; -1: the start), as Redis does.
func hllMergeVals(b []byte, prev int) []byte {
	body := b[hllHdrSize:]
	p := max(prev, 0)
	for scan := 5; p < len(body) && scan > 0; scan-- {
		op := body[p]
		if isXZero(op) {
			p += 2
			continue
		}
		if isZero(op) {
			p++
			continue
		}
		if p+1 < len(body) && !isZero(body[p+1]) && !isXZero(body[p+1]) {
			v1, v2 := valValue(op), valValue(body[p+1])
			if v1 == v2 {
				if n := valLen(op) + valLen(body[p+1]); n <= hllSparseValMaxLen {
					body[p+1] = valOp(v1, n)
					copy(body[p:], body[p+1:])
					body = body[:len(body)-1]
					b = b[:len(b)-1]
					continue // retry the merged value with the next one
				}
			}
		}
		p++
	}
	return b
}

// hllTau and hllSigma are the correction functions of Ertl's estimator.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zPrime := z
		z += x * y
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		z -= math.Pow(1-x, 2) * y
		if zPrime == z {
			return z / 3
		}
	}
}

// hllEstimate is the cardinality estimate of a register set.
func hllEstimate(regs *[hllRegisters]uint8) uint64 {
	var histo [hllQ + 2]int
	for _, v := range regs {
		histo[v]++
	}
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	const alphaInf = 0.721347520444481703680
	return uint64(math.Round(alphaInf * m * m / z))
}

// hllGet returns key's HyperLogLog bytes (a copy to modify), nil when absent; it answers
// WRONGTYPE and returns ok false for another value.
func (c *Client) hllGet(db *storage.DB, key []byte) (b []byte, ok bool) {
	str, exists, err := db.GetString(c.slot(key), key)
	switch {
	case err != nil:
		c.ErrFor(err)
		return nil, false
	case !exists:
		return nil, true
	case !validHLL(str):
		c.Err(errNotHLL)
		return nil, false
	}
	return append([]byte(nil), str...), true
}

func hllDefs() []def {
	return []def{
		{name: "pfadd", fn: cmdPfadd},
		{name: "pfcount", fn: cmdPfcount},
		{name: "pfmerge", fn: cmdPfmerge},
		{name: "pfdebug", fn: cmdPfdebug},
		{name: "pfselftest", fn: cmdPfselftest},
	}
}

// PFADD key [element …]
func cmdPfadd(c *Client) {
	key := c.args[1]
	b, ok := c.hllGet(c.db, key)
	if !ok {
		return
	}
	updated := 0
	if b == nil {
		b, updated = newHLL(), 1
	}
	sparseMax := c.s.config().HllSparseMaxBytes
	for _, e := range c.args[2:] {
		reg, count := hllPatLen(e)
		nb, upd, valid := hllSet(b, reg, count, sparseMax)
		if !valid {
			c.Err(errCorruptHLL)
			return
		}
		b = nb
		updated += b2i(upd)
	}
	if updated > 0 {
		hllInvalidateCache(b)
		c.db.SetString(c.slot(key), key, b, 0, true)
		c.changed(key)
		c.notify(evString, "pfadd", key)
		c.addDirty(updated)
	}
	c.w.Int(int64(b2i(updated > 0)))
}

// PFCOUNT key [key …]
func cmdPfcount(c *Client) {
	if len(c.args) == 2 {
		key := c.args[1]
		b, ok := c.hllGet(c.db, key)
		if !ok {
			return
		}
		if b == nil {
			c.w.Int(0)
			return
		}
		if hllCacheValid(b) {
			c.w.Int(int64(binary.LittleEndian.Uint64(b[8:])))
			return
		}
		var regs [hllRegisters]uint8
		if !hllRegistersOf(b, &regs) {
			c.Err(errCorruptHLL)
			return
		}
		card := hllEstimate(&regs)
		binary.LittleEndian.PutUint64(b[8:], card)
		c.db.SetString(c.slot(key), key, b, 0, true)
		c.changed(key)
		c.dirty++
		c.w.Int(int64(card))
		return
	}
	var max [hllRegisters]uint8
	for _, key := range c.args[1:] {
		b, ok := c.hllGet(c.db, key)
		if !ok {
			return
		}
		if b != nil && !hllMaxInto(b, &max) {
			c.Err(errCorruptHLL)
			return
		}
	}
	c.w.Int(int64(hllEstimate(&max)))
}

// hllMaxInto raises max to b's registers.
func hllMaxInto(b []byte, max *[hllRegisters]uint8) bool {
	var regs [hllRegisters]uint8
	if !hllRegistersOf(b, &regs) {
		return false
	}
	for i, v := range regs {
		if v > max[i] {
			max[i] = v
		}
	}
	return true
}

// PFMERGE destkey [sourcekey …]
func cmdPfmerge(c *Client) {
	var max [hllRegisters]uint8
	dense := false
	rdb := c.db.ForRead()
	for _, key := range c.args[1:] {
		b, ok := c.hllGet(rdb, key)
		if !ok {
			return
		}
		if b == nil {
			continue
		}
		dense = dense || b[4] == hllDense
		if !hllMaxInto(b, &max) {
			c.Err(errCorruptHLL)
			return
		}
	}
	dst := c.args[1]
	b, ok := c.hllGet(c.db, dst)
	if !ok {
		return
	}
	if b == nil {
		b = newHLL()
	}
	if dense {
		if b, ok = hllToDense(b); !ok {
			c.Err(errCorruptHLL)
			return
		}
	}
	sparseMax := c.s.config().HllSparseMaxBytes
	for i, v := range max {
		if v == 0 {
			continue
		}
		nb, _, valid := hllSet(b, i, int(v), sparseMax)
		if !valid {
			c.Err(errCorruptHLL)
			return
		}
		b = nb
	}
	hllInvalidateCache(b)
	c.db.SetString(c.slot(dst), dst, b, 0, true)
	c.wrote(dst, evString, "pfadd")
	c.OK()
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
func cmdPfdebug(c *Client) {
	key := c.args[2]
	b, ok := c.hllGet(c.db, key)
	if !ok {
		return
	}
	if b == nil {
		c.Err("ERR The specified key does not exist")
		return
	}
	switch {
	case c.is(1, "GETREG"):
		if b[4] == hllSparse {
			d, ok := hllToDense(b)
			if !ok {
				c.Err(errCorruptHLL)
				return
			}
			b = d
			c.db.SetString(c.slot(key), key, b, 0, true)
			c.dirty++
		}
		c.w.Array(hllRegisters)
		for i := range hllRegisters {
			c.w.Int(int64(denseGet(b[hllHdrSize:], i)))
		}
	case c.is(1, "ENCODING"):
		if b[4] == hllDense {
			c.w.Simple("dense")
		} else {
			c.w.Simple("sparse")
		}
	case c.is(1, "TODENSE"):
		conv := b[4] == hllSparse
		if conv {
			d, ok := hllToDense(b)
			if !ok {
				c.Err(errCorruptHLL)
				return
			}
			c.db.SetString(c.slot(key), key, d, 0, true)
			c.dirty++
		}
		c.w.Int(int64(b2i(conv)))
	default:
		c.Err("ERR Unknown PFDEBUG subcommand '" + string(c.args[1]) + "'")
	}
}

// PFSELFTEST checks the register packing and the estimator on a known sequence.
func cmdPfselftest(c *Client) {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	for i := range hllRegisters {
		denseSet(regs, i, uint8(i%hllRegMax))
	}
	for i := range hllRegisters {
		if denseGet(regs, i) != uint8(i%hllRegMax) {
			c.Err("ERR TESTFAILED Register error at index " + strconv.Itoa(i))
			return
		}
	}
	c.OK()
}
