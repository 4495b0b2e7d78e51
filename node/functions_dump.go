package node

import (
	"encoding/binary"
	"slices"

	"github.com/shoal-db/shoal/storage/rdb"
)

// FUNCTION DUMP and RESTORE use Redis's DUMP payload format, so payloads move between
// shoal and Redis: for each library the RDB opcode FUNCTION2 (245) and the library code
// as an RDB string, then the RDB version (2 bytes, little endian) and the CRC64 of
// everything before it (storage/rdb).

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
		b = append(b, rdb.OpFunction2)
		b = rdb.AppendLen(b, uint64(len(code)))
		b = append(b, code...)
	}
	st.mu.Unlock()
	b = binary.LittleEndian.AppendUint16(b, rdb.Version)
	b = binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b))
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
	if ver > rdb.Version || crc != rdb.CRC64(0, data[:len(data)-8]) {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	var codes []string
	for r := (rdb.Reader{B: body}); r.Off < len(body); {
		if body[r.Off] != rdb.OpFunction2 {
			c.Err("ERR given type is not a function")
			return
		}
		r.Off++
		code, err := r.String()
		if err != nil {
			c.Err("ERR Failed loading library")
			return
		}
		codes = append(codes, string(code))
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
