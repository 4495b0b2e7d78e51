package node

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/node/glob"
)

// Redis 7 functions: libraries of Lua functions loaded with FUNCTION LOAD and called
// with FCALL. They share the scripts' VM, sandbox and execution rules.

// functionRegistry holds the loaded libraries; guarded by scriptState.mu.
type functionRegistry struct {
	libs  map[string]*library
	funcs map[string]*function
}

type library struct {
	name  string
	code  string
	funcs []*function // by name
}

type function struct {
	name    string
	lib     *library
	fn      *lua.LFunction
	flags   scriptFlags
	desc    string
	hasDesc bool
}

// libraryLoad collects the functions a library registers while FUNCTION LOAD runs it.
type libraryLoad struct {
	lib   *library
	funcs map[string]*function
	err   string
}

// functionLoadTimeout bounds how long a library's top-level code may run.
const functionLoadTimeout = 500 * time.Millisecond

// validName reports whether s is a valid library or function name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// register is redis.register_function(name, callback) or
// redis.register_function{function_name=…, callback=…, flags={…}, description=…}.
func (ll *libraryLoad) register(L *lua.LState) {
	f := &function{lib: ll.lib}
	fail := func(msg string) {
		ll.err = msg
		L.RaiseError("%s", msg)
	}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			switch k.String() {
			case "function_name":
				if s, ok := v.(lua.LString); ok {
					f.name = string(s)
				} else {
					bad = "function_name argument given to redis.register_function must be a string"
				}
			case "callback":
				if fn, ok := v.(*lua.LFunction); ok {
					f.fn = fn
				} else {
					bad = "callback argument given to redis.register_function must be a function"
				}
			case "description":
				if s, ok := v.(lua.LString); ok {
					f.desc, f.hasDesc = string(s), true
				} else {
					bad = "description argument given to redis.register_function must be a string"
				}
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				ft.ForEach(func(_, fv lua.LValue) {
					if !f.flags.set(fv.String()) {
						bad = "unknown flag given"
					}
				})
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			fail(bad)
		}
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			fail("first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			fail("second argument to redis.register_function must be a function")
		}
		f.name, f.fn = string(name), fn
	default:
		fail("wrong number of arguments to redis.register_function")
	}
	if f.name == "" {
		fail("redis.register_function must get a function name argument")
	}
	if f.fn == nil {
		fail("redis.register_function must get a callback argument")
	}
	if !validName(f.name) {
		fail("Function names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if ll.funcs[f.name] != nil {
		fail("Function already exists in the library")
	}
	ll.funcs[f.name] = f
}

// parseLibraryHeader reads "#!lua name=<library>" from the first line of code.
func parseLibraryHeader(code string) (name, errMsg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "ERR Missing library metadata"
	}
	line, _, _ := strings.Cut(code, "\n")
	parts := strings.Fields(line[2:])
	if len(parts) == 0 {
		return "", "ERR Missing library metadata"
	}
	if parts[0] != "lua" {
		return "", "ERR Engine '" + parts[0] + "' not found"
	}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", "ERR Invalid metadata value given: " + p
		}
		name = v
	}
	if name == "" {
		return "", "ERR Library name was not given"
	}
	if !validName(name) {
		return "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, ""
}

// loadLibrary compiles and runs a library's code and returns it with its functions, or
// the error reply.
func (c *Client) loadLibrary(code string) (*library, string) {
	name, errMsg := parseLibraryHeader(code)
	if errMsg != "" {
		return nil, errMsg
	}
	src := code
	if i := strings.IndexByte(src, '\n'); i >= 0 {
		src = src[i:]
	} else {
		src = ""
	}
	proto, err := compileLua(src, "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + luaCompileMessage(err, "user_function", src)
	}
	vm := c.s.scripts.vmFor(c.s)
	lib := &library{name: name, code: code}
	ll := &libraryLoad{lib: lib, funcs: map[string]*function{}}
	fn := vm.L.NewFunctionFromProto(proto)
	fn.Env = vm.env
	ctx, cancel := context.WithTimeout(context.Background(), functionLoadTimeout)
	defer cancel()
	vm.run = &scriptRun{lib: ll}
	vm.L.SetContext(ctx)
	vm.L.SetTop(0)
	vm.L.Push(fn)
	err = vm.L.PCall(0, 0, nil)
	vm.L.RemoveContext()
	vm.run = nil
	vm.L.SetTop(0)
	switch {
	case ll.err != "":
		return nil, "ERR Error registering functions: " + ll.err
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, "ERR FUNCTION LOAD timeout"
	case err != nil:
		return nil, "ERR Error registering functions: " + strings.ReplaceAll(err.Error(), "\n", " ")
	case len(ll.funcs) == 0:
		return nil, "ERR No functions registered"
	}
	for _, f := range ll.funcs {
		lib.funcs = append(lib.funcs, f)
	}
	slices.SortFunc(lib.funcs, func(a, b *function) int { return strings.Compare(a.name, b.name) })
	return lib, ""
}

// addLibrary installs lib, replacing a library of the same name when replace is set;
// the error reply when a name is taken. Caller holds scriptState.mu.
func (r *functionRegistry) addLibrary(lib *library, replace bool) string {
	old := r.libs[lib.name]
	if old != nil && !replace {
		return "ERR Library '" + lib.name + "' already exists"
	}
	return r.install(lib, old)
}

// install adds lib in place of old (nil: none); the error reply when one of its
// functions belongs to another library.
func (r *functionRegistry) install(lib, old *library) string {
	for _, f := range lib.funcs {
		if ex := r.funcs[f.name]; ex != nil && ex.lib != old {
			return "ERR Function " + f.name + " already exists"
		}
	}
	if old != nil {
		r.removeLibrary(old.name)
	}
	if r.libs == nil {
		r.libs, r.funcs = map[string]*library{}, map[string]*function{}
	}
	r.libs[lib.name] = lib
	for _, f := range lib.funcs {
		r.funcs[f.name] = f
	}
	return ""
}

func (r *functionRegistry) removeLibrary(name string) bool {
	lib := r.libs[name]
	if lib == nil {
		return false
	}
	for _, f := range lib.funcs {
		delete(r.funcs, f.name)
	}
	delete(r.libs, name)
	return true
}

// FUNCTION LOAD [REPLACE] function-code
func cmdFunctionLoad(c *Client) {
	replace := false
	code := c.args[2]
	if len(c.args) == 4 {
		if !c.is(2, "REPLACE") {
			c.Err("ERR Unknown option given: " + string(c.args[2]))
			return
		}
		replace, code = true, c.args[3]
	} else if len(c.args) > 4 {
		c.Err(wrongArgs("function|load"))
		return
	}
	lib, errMsg := c.loadLibrary(string(code))
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	st := &c.s.scripts
	st.mu.Lock()
	errMsg = st.funcs.addLibrary(lib, replace)
	st.mu.Unlock()
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	c.dirty++
	c.w.BulkString(lib.name)
}

func cmdFcall(c *Client)   { fcallGeneric(c, false) }
func cmdFcallRO(c *Client) { fcallGeneric(c, true) }

// fcallGeneric is FCALL and FCALL_RO function numkeys [key …] [arg …].
func fcallGeneric(c *Client, readOnly bool) {
	numKeys, ok := c.numKeysArg(2)
	if !ok {
		return
	}
	st := &c.s.scripts
	st.mu.Lock()
	f := st.funcs.funcs[string(c.args[1])]
	st.mu.Unlock()
	if f == nil {
		c.Err("ERR Function not found")
		return
	}
	if readOnly && !f.flags.noWrites {
		c.Err("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	vm := st.vmFor(c.s)
	keys, argv := c.args[3:3+numKeys], c.args[3+numKeys:]
	// A function gets KEYS and ARGV as its two arguments.
	L := vm.L
	kt, at := L.CreateTable(len(keys), 0), L.CreateTable(len(argv), 0)
	for i, k := range keys {
		kt.RawSetInt(i+1, lua.LString(k))
	}
	for i, a := range argv {
		at.RawSetInt(i+1, lua.LString(a))
	}
	wrapper := L.NewFunction(func(L *lua.LState) int {
		L.Push(f.fn)
		L.Push(kt)
		L.Push(at)
		L.Call(2, 1)
		return 1
	})
	run := &scriptRun{fn: f.name, readOnly: readOnly || f.flags.noWrites, args: cloneArgs(c.args)}
	c.runLua(vm, run, wrapper, nil, nil)
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func cmdFunctionList(c *Client) {
	var pattern []byte
	withCode := false
	for i := 2; i < len(c.args); i++ {
		switch {
		case c.is(i, "WITHCODE") && !withCode:
			withCode = true
		case c.is(i, "LIBRARYNAME") && pattern == nil && i+1 < len(c.args):
			pattern = c.args[i+1]
			i++
		default:
			c.Err("ERR Unknown argument " + string(c.args[i]))
			return
		}
	}
	st := &c.s.scripts
	st.mu.Lock()
	defer st.mu.Unlock()
	names := make([]string, 0, len(st.funcs.libs))
	for name := range st.funcs.libs {
		if pattern == nil || glob.Match(pattern, []byte(name), false) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	c.w.Array(len(names))
	for _, name := range names {
		lib := st.funcs.libs[name]
		c.w.Map(3 + b2i(withCode))
		c.w.BulkString("library_name")
		c.w.BulkString(lib.name)
		c.w.BulkString("engine")
		c.w.BulkString("LUA")
		c.w.BulkString("functions")
		c.w.Array(len(lib.funcs))
		for _, f := range lib.funcs {
			c.w.Map(3)
			c.w.BulkString("name")
			c.w.BulkString(f.name)
			c.w.BulkString("description")
			if f.hasDesc {
				c.w.BulkString(f.desc)
			} else {
				c.w.Null()
			}
			c.w.BulkString("flags")
			flags := f.flags.names()
			c.w.Set(len(flags))
			for _, fl := range flags {
				c.w.Simple(fl)
			}
		}
		if withCode {
			c.w.BulkString("library_code")
			c.w.BulkString(lib.code)
		}
	}
}

// FUNCTION DELETE library-name
func cmdFunctionDelete(c *Client) {
	st := &c.s.scripts
	st.mu.Lock()
	ok := st.funcs.removeLibrary(string(c.args[2]))
	st.mu.Unlock()
	if !ok {
		c.Err("ERR Library not found")
		return
	}
	c.dirty++
	c.OK()
}

// FUNCTION FLUSH [ASYNC|SYNC]
func cmdFunctionFlush(c *Client) {
	if !c.flushOption("ERR FUNCTION FLUSH only supports SYNC|ASYNC option") {
		return
	}
	st := &c.s.scripts
	st.mu.Lock()
	st.funcs = functionRegistry{}
	st.mu.Unlock()
	c.dirty++
	c.OK()
}

// FUNCTION STATS
func cmdFunctionStats(c *Client) {
	st := &c.s.scripts
	c.w.Map(2)
	c.w.BulkString("running_script")
	if run := st.running.Load(); run != nil && run.fn != "" {
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(run.fn)
		c.w.BulkString("command")
		c.w.Array(len(run.args))
		for _, a := range run.args {
			c.w.Bulk(a)
		}
		c.w.BulkString("duration_ms")
		c.w.Int(time.Since(run.start).Milliseconds())
	} else {
		c.w.Null()
	}
	st.mu.Lock()
	libs, funcs := len(st.funcs.libs), len(st.funcs.funcs)
	st.mu.Unlock()
	c.w.BulkString("engines")
	c.w.Map(1)
	c.w.BulkString("LUA")
	c.w.Map(2)
	c.w.BulkString("libraries_count")
	c.w.Int(int64(libs))
	c.w.BulkString("functions_count")
	c.w.Int(int64(funcs))
}

func cmdFunctionKill(c *Client) { c.killScript(true) }

func cmdFunctionHelp(c *Client) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).")
}
