package node

import (
	"context"
	"errors"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
)

// Scripts (EVAL, FCALL) run atomically: their commands hold every stripe (lock policy
// lockAll), so nothing else touches the dataset until they return, and the commands a
// script calls run in that held context (c.held) through a fake client. While a script
// runs, other clients' commands wait; once it has run for busy-reply-threshold they are
// answered BUSY instead, except the allow_busy ones (SCRIPT KILL, FUNCTION KILL …),
// which can stop a script that has not written yet.
//
// A script's heap growth is bounded by proto-max-bulk-len: a watchdog samples the heap
// while it runs and stops it past the bound, and string.rep refuses larger results.

// scriptState is the server's scripting state.
type scriptState struct {
	mu      sync.Mutex // guards cache, libs, and vm creation
	cache   map[string]*luaScript
	vm      *luaVM
	funcs   functionRegistry
	running atomic.Pointer[scriptRun]
}

// luaScript is a compiled EVAL script.
type luaScript struct {
	sha   string
	body  string
	proto *lua.FunctionProto
	flags scriptFlags
}

// scriptFlags are the flags of a script's "#!lua flags=…" shebang or a function's
// registration.
type scriptFlags struct {
	shebang   bool // declared flags (without a shebang EVAL scripts may do anything)
	noWrites  bool
	allowOOM  bool
	allowSt   bool
	noCluster bool
	crossSlot bool
}

// scriptRun is one execution of a script or function.
type scriptRun struct {
	caller   *Client
	fake     *Client
	sha      string // EVAL scripts
	fn       string // FCALL function name
	readOnly bool
	proto    int
	wrote    atomic.Bool
	killed   atomic.Int32 // killNone, killUser, killMemory
	start    time.Time
	cancel   context.CancelFunc
	done     chan struct{}
	errLine  int
	lib      *libraryLoad // set while FUNCTION LOAD runs a library's code
	args     [][]byte     // the FCALL command (FUNCTION STATS)
}

const (
	killNone = iota
	killUser
	killMemory
)

// vmFor returns the Lua VM, creating it on first use.
func (st *scriptState) vmFor(s *Server) *luaVM {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.vm == nil {
		st.vm = newLuaVM(s)
	}
	return st.vm
}

// compileLua compiles source as chunk name; the error is Lua's message.
func compileLua(source, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(source), name)
	if err != nil {
		return nil, err
	}
	return lua.Compile(chunk, name)
}

// luaCompileMessage shortens a gopher-lua syntax error to "user_script:LINE: message"
// (an error at the end of the source is on its last line).
func luaCompileMessage(err error, name, src string) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		line := pe.Pos.Line
		if line <= 0 {
			line = strings.Count(src, "\n") + 1
		}
		return name + ":" + strconv.Itoa(line) + ": " + pe.Message + " near '" + pe.Token + "'"
	}
	return strings.TrimSpace(err.Error())
}

// parseShebang reads "#!lua [flags=a,b]" at the start of an EVAL script.
func parseShebang(body string) (scriptFlags, string) {
	var f scriptFlags
	if !strings.HasPrefix(body, "#!") {
		return f, ""
	}
	line, _, _ := strings.Cut(body, "\n")
	parts := strings.Fields(line[2:])
	if len(parts) == 0 || parts[0] != "lua" {
		eng := ""
		if len(parts) > 0 {
			eng = parts[0]
		}
		return f, "ERR Unexpected engine in script shebang: " + eng
	}
	f.shebang = true
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return f, "ERR Unknown lua shebang option: " + p
		}
		if v == "" {
			continue
		}
		for _, flag := range strings.Split(v, ",") {
			if !f.set(flag) {
				return f, "ERR Unexpected flag in script shebang: " + flag
			}
		}
	}
	return f, ""
}

// set turns on the named flag; false for an unknown name.
func (f *scriptFlags) set(name string) bool {
	switch name {
	case "no-writes":
		f.noWrites = true
	case "allow-oom":
		f.allowOOM = true
	case "allow-stale":
		f.allowSt = true
	case "no-cluster":
		f.noCluster = true
	case "allow-cross-slot-keys":
		f.crossSlot = true
	default:
		return false
	}
	return true
}

// names lists the flags set, in Redis's order.
func (f scriptFlags) names() []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.noWrites, "no-writes"}, {f.allowOOM, "allow-oom"}, {f.allowSt, "allow-stale"},
		{f.noCluster, "no-cluster"}, {f.crossSlot, "allow-cross-slot-keys"}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

// loadScript compiles body (or returns the cached script), answering the compile
// error itself when it fails.
func (c *Client) loadScript(body []byte) *luaScript {
	st := &c.s.scripts
	sha := sha1hex(body)
	st.mu.Lock()
	sc := st.cache[sha]
	st.mu.Unlock()
	if sc != nil {
		return sc
	}
	flags, errMsg := parseShebang(string(body))
	if errMsg != "" {
		c.Err(errMsg)
		return nil
	}
	src := string(body)
	if flags.shebang {
		// The shebang line is not Lua: compile a blank line in its place.
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = src[i:]
		} else {
			src = ""
		}
	}
	proto, err := compileLua(src, "user_script")
	if err != nil {
		c.Err("ERR Error compiling script (new function): " + luaCompileMessage(err, "user_script", src))
		return nil
	}
	sc = &luaScript{sha: sha, body: string(body), proto: proto, flags: flags}
	st.mu.Lock()
	if st.cache == nil {
		st.cache = map[string]*luaScript{}
	}
	st.cache[sha] = sc
	st.mu.Unlock()
	return sc
}

func scriptDefs() []def {
	return []def{
		{name: "eval", fn: cmdEval, lock: lockAll},
		{name: "evalsha", fn: cmdEvalsha, lock: lockAll},
		{name: "eval_ro", fn: cmdEvalRO, lock: lockAll},
		{name: "evalsha_ro", fn: cmdEvalshaRO, lock: lockAll},
		{name: "script|load", fn: cmdScriptLoad},
		{name: "script|exists", fn: cmdScriptExists},
		{name: "script|flush", fn: cmdScriptFlush},
		{name: "script|kill", fn: cmdScriptKill},
		{name: "script|help", fn: cmdScriptHelp},
		{name: "fcall", fn: cmdFcall, lock: lockAll},
		{name: "fcall_ro", fn: cmdFcallRO, lock: lockAll},
		{name: "function|load", fn: cmdFunctionLoad, lock: lockAll},
		{name: "function|list", fn: cmdFunctionList},
		{name: "function|delete", fn: cmdFunctionDelete, lock: lockAll},
		{name: "function|flush", fn: cmdFunctionFlush, lock: lockAll},
		{name: "function|dump", fn: cmdFunctionDump},
		{name: "function|restore", fn: cmdFunctionRestore, lock: lockAll},
		{name: "function|stats", fn: cmdFunctionStats},
		{name: "function|kill", fn: cmdFunctionKill},
		{name: "function|help", fn: cmdFunctionHelp},
	}
}

func cmdEval(c *Client)       { evalGeneric(c, false, false) }
func cmdEvalsha(c *Client)    { evalGeneric(c, true, false) }
func cmdEvalRO(c *Client)     { evalGeneric(c, false, true) }
func cmdEvalshaRO(c *Client)  { evalGeneric(c, true, true) }
func cmdScriptLoad(c *Client) { c.loadScriptReply() }

func (c *Client) loadScriptReply() {
	if sc := c.loadScript(c.args[2]); sc != nil {
		c.w.BulkString(sc.sha)
	}
}

// numKeysArg parses a script's numkeys at args[i] against the arguments after it.
func (c *Client) numKeysArg(i int) (int, bool) {
	n, ok := c.intArg(i)
	switch {
	case !ok:
		return 0, false
	case n < 0:
		c.Err("ERR Number of keys can't be negative")
		return 0, false
	case n > int64(len(c.args)-i-1):
		c.Err("ERR Number of keys can't be greater than number of args")
		return 0, false
	}
	return int(n), true
}

// evalGeneric is EVAL, EVALSHA and their read-only forms.
func evalGeneric(c *Client, bySHA, readOnly bool) {
	numKeys, ok := c.numKeysArg(2)
	if !ok {
		return
	}
	var sc *luaScript
	if bySHA {
		sha := strings.ToLower(string(c.args[1]))
		st := &c.s.scripts
		st.mu.Lock()
		sc = st.cache[sha]
		st.mu.Unlock()
		if sc == nil {
			c.Err("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else if sc = c.loadScript(c.args[1]); sc == nil {
		return
	}
	vm := c.s.scripts.vmFor(c.s)
	fn := vm.L.NewFunctionFromProto(sc.proto)
	fn.Env = vm.env
	run := &scriptRun{sha: sc.sha, readOnly: readOnly || sc.flags.noWrites}
	c.runLua(vm, run, fn, c.args[3:3+numKeys], c.args[3+numKeys:])
}

// runLua runs fn as the script run with KEYS and ARGV, and answers its result or error.
func (c *Client) runLua(vm *luaVM, run *scriptRun, fn *lua.LFunction, keys, argv [][]byte) {
	s := c.s
	L := vm.L
	setArgs := func(name string, vals [][]byte) {
		t := L.CreateTable(len(vals), 0)
		for i, v := range vals {
			t.RawSetInt(i+1, lua.LString(v))
		}
		vm.globals.RawSetString(name, t)
	}
	setArgs("KEYS", keys)
	setArgs("ARGV", argv)
	run.caller = c
	run.proto = 2
	run.fake = c.scriptClient()
	run.start = time.Now()
	run.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	vm.run = run
	s.scripts.running.Store(run)
	stopWatch := s.watchScript(run)
	L.SetContext(ctx)

	L.SetTop(0)
	L.Push(fn)
	err := L.PCall(0, 1, L.NewFunction(func(L *lua.LState) int {
		// Error handler: note the script line the error comes from.
		run.errLine = luaScriptLine(L)
		return 1
	}))

	L.RemoveContext()
	c.prop = append(c.prop, run.fake.prop...) // the script's effects, as one unit
	stopWatch()
	cancel()
	s.scripts.running.Store(nil)
	vm.run = nil
	close(run.done)
	vm.globals.RawSetString("KEYS", lua.LNil)
	vm.globals.RawSetString("ARGV", lua.LNil)
	if err != nil {
		L.SetTop(0)
		c.Err(run.errorReply(err))
		return
	}
	ret := L.Get(-1)
	L.SetTop(0)
	luaToReply(c, ret, run.proto, 0)
}

// luaScriptLine is the line of the innermost Lua frame on the stack (0 if none).
func luaScriptLine(L *lua.LState) int {
	for level := 0; level < 32; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
			return dbg.CurrentLine
		}
	}
	return 0
}

// errorReply formats a failed run as Redis does: the error, then " script: <sha>, on
// @user_script:<line>." (functions: " script: <name>, on @user_function:<line>.").
func (run *scriptRun) errorReply(err error) string {
	var msg string
	switch run.killed.Load() {
	case killUser:
		return "ERR Script killed by user with SCRIPT KILL..."
	case killMemory:
		return "ERR Script exceeded the memory limit (proto-max-bulk-len) and was stopped"
	}
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if e, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(e)
			}
		}
		if msg == "" {
			msg = "ERR " + lua.LVAsString(ae.Object)
			if ae.Object.Type() != lua.LTString {
				msg = "ERR " + ae.Object.String()
			}
		}
	} else {
		msg = "ERR " + err.Error()
	}
	msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	if run.fn != "" {
		return msg + " script: " + run.fn + ", on @user_function:" + strconv.Itoa(run.errLine) + "."
	}
	return msg + " script: " + run.sha + ", on @user_script:" + strconv.Itoa(run.errLine) + "."
}

// scriptClient returns the fake client a script's commands run on: the caller's
// database and authentication, every stripe already held.
func (c *Client) scriptClient() *Client {
	f := &Client{s: c.s, id: c.id, db: c.db, held: true, authenticated: true, conn: c.conn, fromScript: true}
	f.multiLen.Store(-1)
	f.user.Store(c.user.Load())
	f.info = clientInfo{user: c.user.Load().name, addr: c.getInfo().addr}
	return f
}

// watchScript samples the heap while run executes and stops it once the heap has grown
// by more than proto-max-bulk-len since it started. Sampling starts only once the script
// has run for a few milliseconds, so short scripts cost one timer. The returned func ends
// the watch.
func (s *Server) watchScript(run *scriptRun) func() {
	limit := s.config().ProtoMaxBulkLen
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := int64(sample[0].Value.Uint64())
	var mu sync.Mutex
	stopped := false
	var timer *time.Timer
	check := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		metrics.Read(sample)
		if int64(sample[0].Value.Uint64())-base > limit {
			run.killed.Store(killMemory)
			run.cancel()
			return
		}
		timer.Reset(scriptWatchEvery)
	}
	mu.Lock()
	timer = time.AfterFunc(scriptWatchEvery, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		timer.Stop()
		mu.Unlock()
	}
}

// scriptWatchEvery is how often a running script's heap growth is sampled.
const scriptWatchEvery = 5 * time.Millisecond

// call is redis.call (raise) and redis.pcall.
func (vm *luaVM) call(L *lua.LState, raise bool) int {
	run := vm.run
	fail := func(msg string) int {
		if raise {
			run.errLine = luaScriptLine(L)
			L.Error(errorTable(L, msg), 0)
			return 0
		}
		L.Push(errorTable(L, msg))
		return 1
	}
	if run == nil || run.fake == nil {
		return fail("ERR redis.call can only be called inside a script invocation")
	}
	n := L.GetTop()
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, n)
	for i := range n {
		s, ok := luaArgString(L.Get(i + 1))
		if !ok {
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
		args[i] = []byte(s)
	}
	out, errMsg := run.exec(args)
	if errMsg != "" {
		return fail(errMsg)
	}
	v, isErr := respToLua(L, out)
	if isErr && raise {
		run.errLine = luaScriptLine(L)
		L.Error(v, 0)
		return 0
	}
	L.Push(v)
	return 1
}

// exec runs one command for the script and returns its reply bytes, or the error the
// script gets for a command it may not run.
func (run *scriptRun) exec(args [][]byte) ([]byte, string) {
	f := run.fake
	s := f.s
	cmd := s.table.lookup(args[0])
	if cmd == nil {
		return nil, "ERR Unknown Redis command called from script"
	}
	if cmd.subs != nil && (len(args) >= 2 || cmd.fn == nil) {
		if len(args) < 2 {
			return nil, "ERR Wrong number of args calling Redis command from script"
		}
		sub := cmd.subcommand(args[1])
		if sub == nil {
			return nil, "ERR unknown subcommand '" + trunc(args[1], 128) + "'. Try " + strings.ToUpper(cmd.Name) + " HELP."
		}
		cmd = sub
	}
	if !cmd.ArityOK(len(args)) {
		return nil, "ERR Wrong number of args calling Redis command from script"
	}
	if cmd.Has(spec.NoScript) {
		return nil, "ERR This Redis command is not allowed from script"
	}
	if cmd.Has(spec.DenyOOM) && run.caller.oomAtStart && !run.wrote.Load() {
		// Over maxmemory when the script began, and it has changed nothing yet.
		return nil, errOOM
	}
	if cmd.Has(spec.Write) {
		if run.readOnly {
			return nil, "ERR Write commands are not allowed from read-only scripts."
		}
		if !run.caller.obeys() {
			if s.up.following.Load() && s.config().ReplicaReadOnly {
				return nil, errReadOnlyReplica
			}
			if s.tooFewReplicas(s.config()) {
				return nil, errNoReplicas
			}
			if s.cluster.enabled && s.leaseEnded() { // a primary without its write lease
				return nil, slots.Decision{Outcome: slots.Down}.Error(slots.EndpointIP, false)
			}
		}
		run.wrote.Store(true)
	}
	if s.cluster.enabled && !run.caller.obeys() {
		if msg := s.scriptRoute(run.caller, cmd, args); msg != "" {
			return nil, msg
		}
	}
	f.args = args
	f.cmd = cmd
	f.w.Reset()
	f.w.Proto = run.proto
	if u := f.user.Load().get(); !u.Unrestricted() && !f.aclCheck(u, cmd, "lua") {
		return f.w.B, ""
	}
	s.call(f, cmd)
	f.lastCmd.Store(cmd)
	return f.w.B, ""
}

// waitScript holds a command while a script runs: until the script ends, or answers
// BUSY once it has run for busy-reply-threshold. It reports whether the command may go.
func (s *Server) waitScript(c *Client, run *scriptRun) bool {
	for run != nil {
		limit := time.Duration(s.config().BusyReplyThreshold) * time.Millisecond
		left := limit - time.Since(run.start)
		if left <= 0 {
			if run.fn != "" {
				c.reject("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
			} else {
				c.reject("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
			}
			return false
		}
		t := time.NewTimer(left)
		select {
		case <-run.done:
		case <-t.C:
		case <-s.stop:
		}
		t.Stop()
		run = s.scripts.running.Load()
	}
	return true
}

// killScript stops the running script or function (SCRIPT KILL, FUNCTION KILL).
func (c *Client) killScript(function bool) {
	run := c.s.scripts.running.Load()
	switch {
	case run == nil:
		c.Err("NOTBUSY No scripts in execution right now.")
	case function && run.fn == "":
		c.Err("NOTBUSY No scripts in execution right now.")
	case !function && run.fn != "":
		c.Err("BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
	case run.wrote.Load():
		c.Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	default:
		run.killed.Store(killUser)
		run.cancel()
		c.OK()
	}
}

func cmdScriptKill(c *Client) { c.killScript(false) }

func cmdScriptExists(c *Client) {
	st := &c.s.scripts
	st.mu.Lock()
	defer st.mu.Unlock()
	c.w.Array(len(c.args) - 2)
	for _, a := range c.args[2:] {
		_, ok := st.cache[strings.ToLower(string(a))]
		c.w.Int(int64(b2i(ok)))
	}
}

// flushOption parses the [ASYNC|SYNC] of SCRIPT FLUSH and FUNCTION FLUSH.
func (c *Client) flushOption(errMsg string) bool {
	switch {
	case len(c.args) == 2:
	case len(c.args) == 3 && (c.is(2, "ASYNC") || c.is(2, "SYNC")):
	default:
		c.Err(errMsg)
		return false
	}
	return true
}

func cmdScriptFlush(c *Client) {
	if !c.flushOption("ERR SCRIPT FLUSH only support SYNC|ASYNC option") {
		return
	}
	st := &c.s.scripts
	st.mu.Lock()
	st.cache = nil
	st.mu.Unlock()
	c.OK()
}

func cmdScriptHelp(c *Client) {
	writeHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.")
}
