package node

import (
	"encoding/binary"
	"hash/crc64"
	"slices"
)

// FUNCTION DUMP and RESTORE use Redis's DUMP payload format, so payloads move between
// shoal and Redis: for each library the RDB opcode FUNCTION2 (245) and the library code
// as an RDB string, then the RDB version (2 bytes, little endian) and the CRC64 (Jones
// polynomial, little endian) of everything before it.

const (
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10 // Redis 7.0
	rdbEncLZF          = 3
)

// crcJones is the CRC-64 table of Redis's checksum (the Jones polynomial, reflected).
var crcJones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC64 is Redis's crc64: init 0, no final xor (Go's crc64 inverts both ends).
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), crcJones, b) }

// appendRDBLen appends an RDB length.
func appendRDBLen(b []byte, n uint64) []byte {
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

// readRDBLen reads an RDB length at p; enc is set for a special encoding (0xC0 | x).
func readRDBLen(b []byte, p int) (n uint64, enc int, next int, ok bool) {
	if p >= len(b) {
		return 0, 0, p, false
	}
	switch b[p] >> 6 {
	case 0:
		return uint64(b[p] & 0x3f), -1, p + 1, true
	case 1:
		if p+2 > len(b) {
			return 0, 0, p, false
		}
		return uint64(b[p]&0x3f)<<8 | uint64(b[p+1]), -1, p + 2, true
	case 2:
		switch b[p] {
		case 0x80:
			if p+5 > len(b) {
				return 0, 0, p, false
			}
			return uint64(binary.BigEndian.Uint32(b[p+1:])), -1, p + 5, true
		case 0x81:
			if p+9 > len(b) {
				return 0, 0, p, false
			}
			return binary.BigEndian.Uint64(b[p+1:]), -1, p + 9, true
		}
		return 0, 0, p, false
	}
	return 0, int(b[p] & 0x3f), p + 1, true
}

// readRDBString reads an RDB string (plain or LZF-compressed) at p.
func readRDBString(b []byte, p int) ([]byte, int, bool) {
	n, enc, p, ok := readRDBLen(b, p)
	if !ok {
		return nil, p, false
	}
	if enc < 0 {
		if uint64(len(b)-p) < n {
			return nil, p, false
		}
		return b[p : p+int(n)], p + int(n), true
	}
	if enc != rdbEncLZF {
		return nil, p, false
	}
	clen, _, p, ok := readRDBLen(b, p)
	if !ok {
		return nil, p, false
	}
	ulen, _, p, ok := readRDBLen(b, p)
	// LZF expands at most about 88 times (264 bytes from a 3-byte back reference).
	if !ok || uint64(len(b)-p) < clen || ulen > clen*100+64 {
		return nil, p, false
	}
	out, ok := lzfDecompress(b[p:p+int(clen)], int(ulen))
	return out, p + int(clen), ok
}

// lzfDecompress expands LZF data into exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, bool) {
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

// FUNCTION DUMP
func cmdFunctionDump(c *Client) {
	st := &c.s.scripts
	st.mu.Lock()
	names := make([]string, 0, len(st.funcs.libs))
	for name := range st.funcs.libs {
		names = append(names, name)
	}
	slices.Sort(names)
	var b []byte
	for _, name := range names {
		code := st.funcs.libs[name].code
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBLen(b, uint64(len(code)))
		b = append(b, code...)
	}
	st.mu.Unlock()
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	b = binary.LittleEndian.AppendUint64(b, redisCRC64(b))
	c.w.Bulk(b)
}

// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
func cmdFunctionRestore(c *Client) {
	policy := "APPEND"
	switch {
	case len(c.args) == 3:
	case len(c.args) == 4 && c.is(3, "FLUSH"):
		policy = "FLUSH"
	case len(c.args) == 4 && c.is(3, "APPEND"):
	case len(c.args) == 4 && c.is(3, "REPLACE"):
		policy = "REPLACE"
	case len(c.args) == 4:
		c.Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		return
	default:
		c.Err(wrongArgs("function|restore"))
		return
	}
	data := c.args[2]
	if len(data) < 10 {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	body := data[:len(data)-10]
	ver := binary.LittleEndian.Uint16(data[len(data)-10:])
	crc := binary.LittleEndian.Uint64(data[len(data)-8:])
	if ver > rdbVersion || crc != 0 && crc != redisCRC64(data[:len(data)-8]) {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	var codes []string
	for p := 0; p < len(body); {
		if body[p] != rdbOpcodeFunction2 {
			c.Err("ERR given type is not a function")
			return
		}
		code, next, ok := readRDBString(body, p+1)
		if !ok {
			c.Err("ERR Failed loading library")
			return
		}
		codes = append(codes, string(code))
		p = next
	}
	var libs []*library
	for _, code := range codes {
		lib, errMsg := c.loadLibrary(code)
		if errMsg != "" {
			c.Err(errMsg)
			return
		}
		libs = append(libs, lib)
	}
	st := &c.s.scripts
	st.mu.Lock()
	defer st.mu.Unlock()
	next := functionRegistry{libs: map[string]*library{}, funcs: map[string]*function{}}
	if policy != "FLUSH" {
		for _, lib := range st.funcs.libs {
			next.addLibrary(lib, false)
		}
	}
	for _, lib := range libs {
		old := next.libs[lib.name]
		if old != nil && policy != "REPLACE" {
			c.Err("ERR Library " + lib.name + " already exists")
			return
		}
		if errMsg := next.install(lib, old); errMsg != "" {
			c.Err(errMsg)
			return
		}
	}
	st.funcs = next
	c.dirty++
	c.OK()
}
