package node

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Conversions between replies and Lua values, as Redis 7.0 documents them.
//
// Reply → Lua: integer → number; bulk string → string; null bulk or null array →
// false (RESP3 null → nil); array → table; status → {ok=…}; error → {err=…}; RESP3 map →
// {map={…}}, set → {set={member=true}}, boolean → boolean, double → {double=n}, big
// number → {big_number="…"}, verbatim string → {verbatim_string={format=…, string=…}}.
//
// Lua → reply: number → integer (truncated); string → bulk; table with ok → status, with
// err → error, with double/map/set/big_number → those; other tables → array up to the
// first nil; true → 1 (RESP3 scripts: true); false and nil → null.

// respToLua converts one reply (the whole of b) to a Lua value; isErr reports an error
// reply at the top level.
func respToLua(L *lua.LState, b []byte) (v lua.LValue, isErr bool) {
	v, _, isErr = parseRespLua(L, b, 0)
	return v, isErr
}

func respLine(b []byte, p int) (string, int) {
	i := bytes.Index(b[p:], []byte("\r\n"))
	if i < 0 {
		return string(b[p:]), len(b)
	}
	return string(b[p : p+i]), p + i + 2
}

func parseRespLua(L *lua.LState, b []byte, p int) (lua.LValue, int, bool) {
	if p >= len(b) {
		return lua.LFalse, p, false
	}
	kind := b[p]
	line, next := respLine(b, p+1)
	switch kind {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, next, false
	case '-':
		return errorTable(L, line), next, true
	case ':':
		n, _ := strconv.ParseInt(line, 10, 64)
		return lua.LNumber(n), next, false
	case '$', '=':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, next, false
		}
		s := b[next : next+n]
		next += n + 2
		if kind == '=' {
			t, vt := L.NewTable(), L.NewTable()
			vt.RawSetString("format", lua.LString(s[:3]))
			vt.RawSetString("string", lua.LString(s[4:]))
			t.RawSetString("verbatim_string", vt)
			return t, next, false
		}
		return lua.LString(s), next, false
	case '_':
		return lua.LNil, next, false
	case '#':
		return lua.LBool(line == "t"), next, false
	case ',':
		f, _ := strconv.ParseFloat(line, 64)
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, next, false
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, next, false
	case '*', '>', '~', '%':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, next, false
		}
		t := L.CreateTable(n, 0)
		if kind == '%' {
			m := L.NewTable()
			for range n {
				var k, v lua.LValue
				k, next, _ = parseRespLua(L, b, next)
				v, next, _ = parseRespLua(L, b, next)
				m.RawSet(k, v)
			}
			t.RawSetString("map", m)
			return t, next, false
		}
		if kind == '~' {
			m := L.NewTable()
			for range n {
				var k lua.LValue
				k, next, _ = parseRespLua(L, b, next)
				m.RawSet(k, lua.LTrue)
			}
			t.RawSetString("set", m)
			return t, next, false
		}
		for i := range n {
			var v lua.LValue
			v, next, _ = parseRespLua(L, b, next)
			t.RawSetInt(i+1, v)
		}
		return t, next, false
	}
	return lua.LFalse, len(b), false
}

// luaReplyDepth bounds the nesting of a script's reply, as Redis does (it answers an
// error past it instead of recursing forever on a self-referencing table).
const luaReplyDepth = 1000

// luaToReply writes a script's return value to the caller; proto is the protocol the
// script chose (redis.setresp), which decides how booleans convert.
func luaToReply(c *Client, v lua.LValue, proto, depth int) {
	if depth > luaReplyDepth {
		c.Err("ERR reached lua stack limit")
		return
	}
	switch x := v.(type) {
	case lua.LString:
		c.w.Bulk([]byte(x))
	case lua.LNumber:
		c.w.Int(luaInt(float64(x)))
	case lua.LBool:
		switch {
		case proto == 3:
			c.w.Bool(bool(x))
		case bool(x):
			c.w.Int(1)
		default:
			c.w.Null()
		}
	case *lua.LTable:
		luaTableReply(c, x, proto, depth)
	default:
		c.w.Null()
	}
}

// luaInt truncates a Lua number to an integer reply.
func luaInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func luaTableReply(c *Client, t *lua.LTable, proto, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(e))
		c.s.stats.countError(msg)
		c.w.B = append(c.w.B, '-')
		c.w.B = append(c.w.B, msg...)
		c.w.B = append(c.w.B, '\r', '\n')
		return
	}
	if ok, isStr := t.RawGetString("ok").(lua.LString); isStr {
		c.w.Simple(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(ok)))
		return
	}
	if d, isNum := t.RawGetString("double").(lua.LNumber); isNum {
		c.w.Double(float64(d))
		return
	}
	if bn, isStr := t.RawGetString("big_number").(lua.LString); isStr {
		if c.w.RESP3() {
			c.w.B = append(c.w.B, '(')
			c.w.B = append(c.w.B, bn...)
			c.w.B = append(c.w.B, '\r', '\n')
		} else {
			c.w.Bulk([]byte(bn))
		}
		return
	}
	if m, isTable := t.RawGetString("map").(*lua.LTable); isTable {
		var keys, vals []lua.LValue
		m.ForEach(func(k, v lua.LValue) {
			keys = append(keys, k)
			vals = append(vals, v)
		})
		c.w.Map(len(keys))
		for i := range keys {
			luaToReply(c, keys[i], proto, depth+1)
			luaToReply(c, vals[i], proto, depth+1)
		}
		return
	}
	if set, isTable := t.RawGetString("set").(*lua.LTable); isTable {
		var keys []lua.LValue
		set.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		c.w.Set(len(keys))
		for _, k := range keys {
			luaToReply(c, k, proto, depth+1)
		}
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	c.w.Array(n)
	for i := 1; i <= n; i++ {
		luaToReply(c, t.RawGetInt(i), proto, depth+1)
	}
}
