package node

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// luaVM is the server's one Lua interpreter, shared by every script and function
// library as Redis shares its own: scripts run one at a time (they hold every stripe),
// so it needs no lock of its own.
//
// The sandbox is Redis 7.0's: the base, table, string, math and coroutine libraries
// (without dofile, loadfile, print, require, module, setfenv), plus redis, cjson and
// bit. Globals are read-only — a script reads them through a proxy that raises
// "Script attempted to access nonexistent global variable" for unknown names and
// "Attempt to modify a readonly table" for any assignment — and so are the library
// tables and the string metatable; rawset refuses them too.
type luaVM struct {
	L        *lua.LState
	globals  *lua.LTable // the real globals
	env      *lua.LTable // their read-only proxy: every script's environment
	readonly map[*lua.LTable]bool
	redis    *lua.LTable // the redis library (real table)
	run      *scriptRun  // the script running now, nil between runs
}

// luaRemoved are the base library globals Redis does not offer.
var luaRemoved = []string{"dofile", "loadfile", "print", "require", "module", "setfenv", "_VERSION"}

func newLuaVM(s *Server) *luaVM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistryMaxSize: 1 << 20})
	vm := &luaVM{L: L, globals: L.G.Global, readonly: map[*lua.LTable]bool{}}
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := vm.globals
	for _, name := range luaRemoved {
		g.RawSetString(name, lua.LNil)
	}
	strlib := g.RawGetString("string").(*lua.LTable)
	strlib.RawSetString("rep", L.NewFunction(func(L *lua.LState) int { return luaStringRep(L, s) }))
	strlib.RawSetString("dump", lua.LNil)
	strlib.RawSetString("__index", lua.LNil)

	vm.redis = vm.openRedis(s)
	g.RawSetString("redis", vm.redis)
	g.RawSetString("cjson", openCjson(L))
	g.RawSetString("bit", openBit(L))

	// rawset and getfenv must not reach the real tables.
	baseRawset := g.RawGetString("rawset").(*lua.LFunction)
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && (vm.readonly[t] || t == vm.globals) {
			luaFail(L, "Attempt to modify a readonly table")
		}
		L.Push(baseRawset)
		for i := 1; i <= L.GetTop()-1; i++ {
			L.Push(L.Get(i))
		}
		L.Call(3, 1)
		return 1
	}))
	baseSetmt := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && (vm.readonly[t] || t == vm.globals) {
			luaFail(L, "Attempt to modify a readonly table")
		}
		L.Push(baseSetmt)
		L.Push(L.Get(1))
		L.Push(L.Get(2))
		L.Call(2, 1)
		return 1
	}))
	baseGetfenv := g.RawGetString("getfenv").(*lua.LFunction)
	g.RawSetString("getfenv", L.NewFunction(func(L *lua.LState) int {
		L.Push(baseGetfenv)
		L.Push(L.Get(1))
		L.Call(1, 1)
		if L.Get(-1) == vm.globals {
			L.Pop(1)
			L.Push(vm.env)
		}
		return 1
	}))

	// Read-only library tables, then the read-only globals proxy.
	for _, name := range []string{"string", "table", "math", "coroutine", "redis", "cjson", "bit"} {
		if t, ok := g.RawGetString(name).(*lua.LTable); ok {
			g.RawSetString(name, vm.protect(t, nil))
		}
	}
	strProxy := g.RawGetString("string")
	smt := L.NewTable()
	smt.RawSetString("__index", strProxy)
	smt.RawSetString("__metatable", vm.protect(smt, nil))
	L.SetMetatable(lua.LString(""), smt)

	missing := L.NewTable()
	missing.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckAny(2).String())
		return 0
	}))
	L.SetMetatable(g, missing)
	vm.env = vm.protect(g, nil)
	g.RawSetString("_G", vm.env)
	L.Env = vm.env
	return vm
}

// protect returns a read-only proxy of t: reads fall through to t (and, when t misses,
// to fallback), writes raise "Attempt to modify a readonly table".
func (vm *luaVM) protect(t *lua.LTable, fallback lua.LValue) *lua.LTable {
	L := vm.L
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, mt)
	vm.readonly[proxy] = true
	vm.readonly[t] = true
	return proxy
}

// luaStringRep is string.rep bounded by proto-max-bulk-len: no script builds a string
// larger than a client could send.
func luaStringRep(L *lua.LState, s *Server) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(len(str))*int64(n) > s.config().ProtoMaxBulkLen {
		L.RaiseError("resulting string too large")
	}
	L.Push(lua.LString(strings.Repeat(str, n)))
	return 1
}

// sha1hex is the lower-case hex SHA1 of b (script ids).
func sha1hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// Redis log levels as the scripts see them.
const (
	luaLogDebug = iota
	luaLogVerbose
	luaLogNotice
	luaLogWarning
)

// openRedis builds the redis library table.
func (vm *luaVM) openRedis(s *Server) *lua.LTable {
	L := vm.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return vm.call(L, true) },
		"pcall": func(L *lua.LState) int { return vm.call(L, false) },
		"error_reply": func(L *lua.LState) int {
			if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
				L.Push(errorTable(L, "ERR wrong number or type of arguments"))
				return 1
			}
			msg := L.Get(1).String()
			if !strings.HasPrefix(msg, "-") {
				msg = "-" + msg
			}
			L.Push(errorTable(L, normalizeLuaError(msg)))
			return 1
		},
		"status_reply": func(L *lua.LState) int {
			if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
				L.Push(errorTable(L, "ERR wrong number or type of arguments"))
				return 1
			}
			r := L.NewTable()
			r.RawSetString("ok", L.Get(1))
			L.Push(r)
			return 1
		},
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaFail(L, "wrong number of arguments")
			}
			L.Push(lua.LString(sha1hex([]byte(L.ToString(1)))))
			return 1
		},
		"log": func(L *lua.LState) int {
			if L.GetTop() < 2 {
				luaFail(L, "redis.log() requires two arguments or more.")
			}
			level, ok := L.Get(1).(lua.LNumber)
			if !ok {
				luaFail(L, "First argument must be a number (log level).")
			}
			parts := make([]string, 0, L.GetTop()-1)
			for i := 2; i <= L.GetTop(); i++ {
				parts = append(parts, L.ToString(i))
			}
			msg := strings.Join(parts, " ")
			switch int(level) {
			case luaLogDebug:
				s.log.Debugf("%s", msg)
			case luaLogVerbose:
				s.log.Verbosef("%s", msg)
			case luaLogNotice:
				s.log.Noticef("%s", msg)
			case luaLogWarning:
				s.log.Warningf("%s", msg)
			default:
				luaFail(L, "Invalid debug level.")
			}
			return 0
		},
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaFail(L, "redis.setresp() requires one argument.")
			}
			n := L.CheckInt(1)
			if n != 2 && n != 3 {
				luaFail(L, "RESP version must be 2 or 3.")
			}
			if vm.run != nil {
				vm.run.proto = n
			}
			return 0
		},
		"set_repl": func(L *lua.LState) int { return 0 },
		"replicate_commands": func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		},
		"breakpoint": func(L *lua.LState) int {
			L.Push(lua.LFalse)
			return 1
		},
		"debug": func(L *lua.LState) int { return 0 },
		"register_function": func(L *lua.LState) int {
			if vm.run == nil || vm.run.lib == nil {
				luaFail(L, "redis.register_function can only be called on FUNCTION LOAD command")
			}
			vm.run.lib.register(L)
			return 0
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{"LOG_DEBUG": luaLogDebug, "LOG_VERBOSE": luaLogVerbose,
		"LOG_NOTICE": luaLogNotice, "LOG_WARNING": luaLogWarning, "REPL_NONE": 0, "REPL_SLAVE": 1,
		"REPL_REPLICA": 1, "REPL_AOF": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(Version))
	ver := 7<<16 | 0<<8 | 15
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(ver))
	return t
}

// luaFail raises msg as an error without a position, as Redis's C library functions
// do.
func luaFail(L *lua.LState, msg string) { L.Error(lua.LString(msg), 0) }

// errorTable is the Lua form of an error reply: {err = msg}.
func errorTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// normalizeLuaError turns "-CODE message" into "CODE message" and a message with no
// code into "ERR message", trimming a trailing newline (Redis's luaPushErrorBuff).
func normalizeLuaError(msg string) string {
	code, rest := "ERR", msg
	if strings.HasPrefix(msg, "-") {
		if c, r, ok := strings.Cut(msg[1:], " "); ok {
			code, rest = c, r
		} else {
			rest = msg[1:]
		}
	}
	return code + " " + strings.TrimRight(rest, "\r\n")
}

// luaArgString converts a redis.call argument: strings as they are, numbers as Lua
// prints them (%.14g); ok false for anything else.
func luaArgString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return luaNumberString(float64(x)), true
	}
	return "", false
}

// luaNumberString formats a number as Lua 5.1's tostring (%.14g).
func luaNumberString(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		// Go writes e+20, C writes e+20 too, but pads the exponent to two digits.
		exp := s[i+2:]
		if len(exp) < 2 {
			s = s[:i+2] + "0" + exp
		}
	}
	return s
}
