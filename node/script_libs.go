package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The cjson and bit libraries Redis gives scripts, with lua-cjson's and LuaBitOp's
// behaviour.

// openCjson builds the cjson table: encode, decode and null.
func openCjson(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	null := L.NewUserData()
	t.RawSetString("null", null)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
		}
		var b bytes.Buffer
		if err := cjsonEncode(&b, L.Get(1), null, 0); err != "" {
			L.RaiseError("%s", err)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		if dec.More() {
			L.RaiseError("Expected the end but found invalid token at character %d", dec.InputOffset()+1)
		}
		L.Push(cjsonToLua(L, v, null))
		return 1
	}))
	return t
}

// cjsonMaxDepth is lua-cjson's default nesting limit.
const cjsonMaxDepth = 1000

func cjsonEncode(b *bytes.Buffer, v lua.LValue, null lua.LValue, depth int) string {
	switch x := v.(type) {
	case lua.LString:
		cjsonString(b, string(x))
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		b.WriteString(luaNumberString(f))
	case lua.LBool:
		b.WriteString(strconv.FormatBool(bool(x)))
	case *lua.LTable:
		if depth >= cjsonMaxDepth {
			return fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth+1)
		}
		n, isArray := cjsonArrayLen(x)
		if isArray && n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if err := cjsonEncode(b, x.RawGetInt(i), null, depth+1); err != "" {
					return err
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var err string
		x.ForEach(func(k, val lua.LValue) {
			if err != "" {
				return
			}
			var key string
			switch kk := k.(type) {
			case lua.LString:
				key = string(kk)
			case lua.LNumber:
				key = luaNumberString(float64(kk))
			default:
				err = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			cjsonString(b, key)
			b.WriteByte(':')
			err = cjsonEncode(b, val, null, depth+1)
		})
		b.WriteByte('}')
		return err
	default:
		if v == null || v == lua.LNil {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// cjsonArrayLen reports whether t is an array (only positive integer keys, not
// excessively sparse) and its length.
func cjsonArrayLen(t *lua.LTable) (int, bool) {
	maxIdx, count := 0, 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
			isArray = false
			return
		}
		count++
		maxIdx = max(maxIdx, int(n))
	})
	if !isArray || count == 0 {
		return 0, false
	}
	// lua-cjson: ratio 2, safe size 10.
	if maxIdx > 10 && maxIdx > count*2 {
		return 0, false
	}
	return maxIdx, true
}

func cjsonString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if ch < 0x20 || ch == 0x7f {
				fmt.Fprintf(b, `\u%04x`, ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
}

func cjsonToLua(L *lua.LState, v any, null lua.LValue) lua.LValue {
	switch x := v.(type) {
	case nil:
		return null
	case bool:
		return lua.LBool(x)
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, cjsonToLua(L, e, null))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, cjsonToLua(L, x[k], null))
		}
		return t
	}
	return lua.LNil
}

// openBit builds the bit table (LuaBitOp): operations on 32-bit signed integers.
func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	unary := map[string]func(uint32) uint32{
		"tobit": func(x uint32) uint32 { return x },
		"bnot":  func(x uint32) uint32 { return ^x },
		"bswap": bits.ReverseBytes32,
	}
	for name, f := range unary {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.Push(bitResult(f(bitArg(L, 1))))
			return 1
		}))
	}
	variadic := map[string]func(a, b uint32) uint32{
		"band": func(a, b uint32) uint32 { return a & b },
		"bor":  func(a, b uint32) uint32 { return a | b },
		"bxor": func(a, b uint32) uint32 { return a ^ b },
	}
	for name, f := range variadic {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			acc := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				acc = f(acc, bitArg(L, i))
			}
			L.Push(bitResult(acc))
			return 1
		}))
	}
	shifts := map[string]func(x uint32, n uint) uint32{
		"lshift":  func(x uint32, n uint) uint32 { return x << n },
		"rshift":  func(x uint32, n uint) uint32 { return x >> n },
		"arshift": func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) },
		"rol":     func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, int(n)) },
		"ror":     func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, -int(n)) },
	}
	for name, f := range shifts {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			x, n := bitArg(L, 1), bitArg(L, 2)&31
			L.Push(bitResult(f(x, uint(n))))
			return 1
		}))
	}
	t.RawSetString("tohex", L.NewFunction(func(L *lua.LState) int {
		x := bitArg(L, 1)
		n := int32(8)
		if L.GetTop() >= 2 {
			n = int32(bitArg(L, 2))
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n, digits = -n, "0123456789ABCDEF"
		}
		n = min(n, 8)
		buf := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			buf[i] = digits[x&15]
			x >>= 4
		}
		L.Push(lua.LString(buf))
		return 1
	}))
	return t
}

// bitArg converts argument i to 32 bits as LuaBitOp does: the number modulo 2^32.
func bitArg(L *lua.LState, i int) uint32 {
	f := float64(L.CheckNumber(i))
	f = math.Mod(math.Trunc(f), 4294967296)
	if f < 0 {
		f += 4294967296
	}
	return uint32(f)
}

func bitResult(x uint32) lua.LNumber { return lua.LNumber(int32(x)) }
