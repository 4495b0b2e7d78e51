package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestScriptTranscript(t *testing.T) {
	for _, proto := range []int{2, 3} {
		rawCompare(t, proto,
			xs("SET", "str", "x"),
			xs("EVAL", "return redis.call('incr','str')", "0"),
			xs("EVAL", "return redis.pcall('incr','str')", "0"),
			xs("EVAL", "return foo", "0"),
			xs("EVAL", "foo = 1", "0"),
			xs("EVAL", "error('boom')", "0"),
			xs("EVAL", "error({err='MYERR custom'})", "0"),
			xs("EVAL", "\n\nerror('line three')", "0"),
			xs("EVAL", "local x = 1\nreturn redis.call('incr','str')", "0"),
			xs("EVAL", "return redis.error_reply('E2 x')", "0"),
			xs("EVAL", "return redis.error_reply('plain')", "0"),
			xs("EVAL", "return redis.error_reply('lower case')", "0"),
			xs("EVAL", "return redis.error_reply('-X y')", "0"),
			xs("EVAL", "return {err='X'}", "0"),
			xs("EVAL", "return {err='-X y'}", "0"),
			xs("EVAL", "return redis.call('nosuch')", "0"),
			xs("EVAL", "return redis.call('get')", "0"),
			xs("EVAL", "return redis.call()", "0"),
			xs("EVAL", "return redis.call('eval','return 1','0')", "0"),
			xs("EVAL", "return redis.call('blpop','l',0)", "0"),
			xs("EVAL", "return redis.call('subscribe','c')", "0"),
			xs("EVAL", "return redis.call('set', 'k', {})", "0"),
			xs("EVAL", "string.rep = nil", "0"),
			xs("EVAL", "return getmetatable('').__index", "0"),
			xs("EVAL", "getmetatable('').__index = {}", "0"),
			xs("EVAL", "return os", "0"),
			xs("EVAL", "return loadfile", "0"),
			xs("EVAL", "return dofile", "0"),
			xs("EVAL", "return print", "0"),
			xs("EVAL", "return type(loadstring)", "0"),
			xs("EVAL", "return {1,2,3.7,'x',false,true,nil,5}", "0"),
			xs("EVAL", "return {ok='FINE'}", "0"),
			xs("EVAL", "return redis.status_reply('S')", "0"),
			xs("EVAL", "return redis.sha1hex('')", "0"),
			xs("EVAL", "return 3.99", "0"),
			xs("EVAL", "return -3.99", "0"),
			xs("EVAL", "return true", "0"),
			xs("EVAL", "return false", "0"),
			xs("EVAL", "return nil", "0"),
			xs("EVAL", "return {1,{2,{3,'x'}}}", "0"),
			xs("EVAL", "return KEYS[1]..ARGV[1]..#KEYS..#ARGV", "1", "k", "a"),
			xs("EVAL", "return 1", "-1"),
			xs("EVAL", "return 1", "2", "a"),
			xs("EVAL", "return 1", "x"),
			xs("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"),
			xs("EVALSHA", "abc", "0"),
			xs("EVAL_RO", "return redis.call('set','a','b')", "0"),
			xs("EVAL_RO", "return redis.call('get','str')", "0"),
			xs("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"),
			xs("EVAL", "#!lua flags=bogus\nreturn 1", "0"),
			xs("EVAL", "#!lua\nreturn redis.call('set','a','b')", "0"),
			xs("SCRIPT", "LOAD", "return 1"),
			xs("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff"),
			xs("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"),
			xs("EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"),
			xs("EVAL_RO", "return 1", "0"),
			xs("EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"),
			xs("SCRIPT", "FLUSH", "BOGUS"),
			xs("SCRIPT", "FLUSH", "ASYNC"),
			xs("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"),
			xs("SCRIPT", "KILL"),
			xs("EVAL", "return cjson.encode({1,2,{a=1}})", "0"),
			xs("EVAL", "return cjson.encode({})", "0"),
			xs("EVAL", "return cjson.encode('a/b\"c')", "0"),
			xs("EVAL", "return cjson.decode('[1,2,{\"a\":[true,null]}]')[3].a[1]", "0"),
			xs("EVAL", "return cjson.decode('[1,2,{\"a\":[true,null]}]')[3].a[2] == cjson.null", "0"),
			xs("EVAL", "return cjson.decode('{\"x\":1.5}').x * 2", "0"),
			xs("EVAL", "return bit.band(7,3)", "0"),
			xs("EVAL", "return bit.bor(1,2,4)", "0"),
			xs("EVAL", "return bit.bxor(5,3)", "0"),
			xs("EVAL", "return bit.bnot(0)", "0"),
			xs("EVAL", "return bit.lshift(1,31)", "0"),
			xs("EVAL", "return bit.rshift(-1,28)", "0"),
			xs("EVAL", "return bit.arshift(-16,2)", "0"),
			xs("EVAL", "return bit.tohex(255)", "0"),
			xs("EVAL", "return bit.tohex(-1, -4)", "0"),
			xs("EVAL", "return bit.tobit(4294967297)", "0"),
			xs("EVAL", "return redis.call('hgetall','nokey')", "0"),
			xs("EVAL", "redis.setresp(3); return redis.call('hgetall','nokey')", "0"),
			xs("HSET", "h", "f", "v"),
			xs("EVAL", "redis.setresp(3); return redis.call('hgetall','h')", "0"),
			xs("EVAL", "redis.setresp(3); return redis.call('hgetall','h').map.f", "0"),
			xs("EVAL", "redis.setresp(3); return redis.call('get','nokey') == nil", "0"),
			xs("EVAL", "redis.setresp(3); return true", "0"),
			xs("EVAL", "redis.setresp(3); return false", "0"),
			xs("EVAL", "return {double=3.5}", "0"),
			xs("EVAL", "return redis.call('set', 'n', 1.5)", "0"),
			xs("EVAL", "return redis.call('get', 'n')", "0"),
			xs("EVAL", "return redis.call('set', 'n', 100)", "0"),
			xs("EVAL", "return redis.call('type', 'n')", "0"),
			xs("EVAL", "return redis.call('ping')", "0"),
			xs("EVAL", "return type(redis.call('get','nokey'))", "0"),
			xs("EVAL", "redis.call('select', 1); redis.call('set', 'in1', 'v'); return redis.call('dbsize')", "0"),
			xs("EXISTS", "in1"),
			xs("EVAL", "return redis.call('multi')", "0"),
			xs("EVAL", "return rawset(_G, 'x', 1)", "0"),
			xs("EVAL", "return rawset(string, 'x', 1)", "0"),
			xs("EVAL", "return setmetatable(_G, nil)", "0"),
			xs("EVAL", "return redis.setresp(4)", "0"),
			xs("EVAL", "redis.log(redis.LOG_WARNING, 'from a script'); return 1", "0"),
			xs("EVAL", "return redis.REDIS_VERSION", "0"),
			xs("EVAL", "return string.format('%d-%s', 5, 'x')", "0"),
			xs("EVAL", "return table.concat({'a','b'}, ',')", "0"),
			xs("EVAL", "return tostring(math.floor(2.5))", "0"),
			xs("EVAL", "return pcall(function() error({err='inner'}) end)", "0"),
			xs("MULTI"),
			xs("EVAL", "return redis.call('incr','ctr')", "0"),
			xs("EVAL", "return redis.call('incr','ctr')", "0"),
			xs("EXEC"),
			xs("SCRIPT", "HELP"),
		)
	}
}

// TestScriptCompileError: gopher-lua's messages differ from Lua 5.1's, so only the
// prefix is compared.
func TestScriptCompileError(t *testing.T) {
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		err := c.Eval(context.Background(), "return 1 +", nil).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Error compiling script (new function): user_script:1: ") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestScriptSandbox runs escape attempts; each must fail without changing anything a
// later script sees.
func TestScriptSandbox(t *testing.T) {
	_, addr := startShoal(t, "proto-max-bulk-len", "8mb")
	c := newClient(t, addr, 2)
	ctx := context.Background()
	for _, src := range []string{
		"os.exit(1)", "io.open('/etc/passwd')", "require('os')", "package.loaded.os = 1",
		"debug.getinfo(1)", "loadfile('/etc/passwd')", "dofile('/etc/passwd')",
		"redis = nil", "redis.call = function() return 1 end", "cjson.encode = nil", "bit.band = nil",
		"_G.x = 1", "setmetatable(_G, {})", "getmetatable('').__index.upper = nil",
		"getmetatable('').__index = {}", "string.upper = nil", "rawset(string, 'upper', nil)",
		"getfenv(tostring).x = 1", "rawset(getfenv(0), 'x', 1)", "math.floor = nil", "table.insert = nil",
		"setfenv(1, {})",
		"return string.rep('x', 1024*1024*1024)",
		"local s = 'xxxxxxxxxxxxxxxx' while true do s = s .. s end",
	} {
		if err := c.Eval(ctx, src, nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR") {
			t.Errorf("%s: %v", src, err)
		}
	}
	for _, check := range []string{
		"return string.upper('a')", "return math.floor(1.5)", "return type(redis.call)",
		"return table.concat({'a'}, '')", "return cjson.encode({1})", "return bit.band(1,1)",
		"return ('x'):upper()",
	} {
		if err := c.Eval(ctx, check, nil).Err(); err != nil {
			t.Errorf("%s after the attempts: %v", check, err)
		}
	}
	if v, err := c.Eval(ctx, "return rawget(_G, 'x') == nil", nil).Result(); err != nil || v != int64(1) {
		t.Errorf("a global leaked: %v %v", v, err)
	}
}

// TestScriptKill runs an endless loop; other clients are answered BUSY once
// busy-reply-threshold passes, and SCRIPT KILL stops it.
func TestScriptKill(t *testing.T) {
	for _, tg := range servers(t, "busy-reply-threshold", "100") {
		t.Run(tg.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t, tg.addr, 2)
			other := newClient(t, tg.addr, 2)
			done := make(chan error, 1)
			go func() { done <- c.Eval(ctx, "while true do end", nil).Err() }()
			waitFor(t, 10*time.Second, "BUSY", func() bool {
				err := other.Ping(ctx).Err()
				return err != nil && strings.HasPrefix(err.Error(), "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
			})
			if err := other.ScriptKill(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL") {
				t.Fatalf("killed script answered %v", err)
			}
			if err := other.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := other.ScriptKill(ctx).Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
				t.Fatalf("SCRIPT KILL with nothing running: %v", err)
			}
			// A script that wrote cannot be killed.
			go func() {
				done <- c.Eval(ctx, "redis.call('set','w','1') local t = redis.call('time')[1] + 0 while redis.call('time')[1] - t < 1 do end", nil).Err()
			}()
			waitFor(t, 10*time.Second, "UNKILLABLE", func() bool {
				err := other.ScriptKill(ctx).Err()
				return err != nil && strings.HasPrefix(err.Error(), "UNKILLABLE")
			})
			if err := <-done; err != nil && err != redis.Nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFunctionTranscript(t *testing.T) {
	lib := "#!lua name=mylib\nredis.register_function('hello', function(keys, args) return 'hi ' .. (keys[1] or '') .. (args[1] or '') end)\n" +
		"redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\n" +
		"redis.register_function('wr', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
	for _, proto := range []int{2, 3} {
		rawCompare(t, proto,
			xs("FUNCTION", "LOAD", lib),
			xs("FUNCTION", "LOAD", lib),
			xs("FUNCTION", "LOAD", "REPLACE", lib),
			xs("FUNCTION", "LOAD", "BOGUS", lib),
			xs("FUNCTION", "LOAD", "return 1"),
			xs("FUNCTION", "LOAD", "#!lua\nreturn 1"),
			xs("FUNCTION", "LOAD", "#!lua name=bad-name\nreturn 1"),
			xs("FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"),
			xs("FUNCTION", "LOAD", "#!python name=x\nreturn 1"),
			xs("FUNCTION", "LOAD", "#!lua name=empty\nlocal x = 1"),
			xs("FUNCTION", "LOAD", "#!lua name=dup\nredis.register_function('hello', function() return 1 end)"),
			xs("FCALL", "hello", "1", "k", "a"),
			xs("FCALL", "hello", "0"),
			xs("FCALL", "nosuch", "0"),
			xs("FCALL", "hello", "5"),
			xs("FCALL", "wr", "1", "k", "v"),
			xs("FCALL", "ro", "1", "k"),
			xs("FCALL_RO", "ro", "1", "k"),
			xs("FCALL_RO", "wr", "1", "k", "v"),
			rc(rawShape, "FUNCTION", "LIST"),
			xs("FUNCTION", "LOAD", "#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}}"),
			xs("FUNCTION", "LIST", "LIBRARYNAME", "on*"),
			xs("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "one"),
			xs("FUNCTION", "LIST", "LIBRARYNAME", "zz*"),
			xs("FUNCTION", "LIST", "BOGUS"),
			xs("FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
			xs("FUNCTION", "STATS"),
			xs("FUNCTION", "KILL"),
			xs("FUNCTION", "DELETE", "nolib"),
			xs("FUNCTION", "DELETE", "mylib"),
			xs("FCALL", "hello", "0"),
			xs("FUNCTION", "LOAD", lib),
			xs("FUNCTION", "FLUSH", "BOGUS"),
			xs("FUNCTION", "FLUSH"),
			xs("FUNCTION", "LIST"),
			xs("FUNCTION", "RESTORE", "bogus"),
			xs("FUNCTION", "HELP"),
		)
	}
}

// TestFunctionDumpRestore moves libraries between shoal and Redis through FUNCTION DUMP
// and RESTORE, both ways.
func TestFunctionDumpRestore(t *testing.T) {
	tgs := servers(t)
	if len(tgs) < 2 {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	shoal, real := newClient(t, tgs[0].addr, 2), newClient(t, tgs[1].addr, 2)
	body := "redis.register_function('f', function() return 'a long enough body to be compressed by redis lzf: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' end)"
	for _, pair := range [][2]*redis.Client{{real, shoal}, {shoal, real}} {
		from, to := pair[0], pair[1]
		to.FunctionFlush(ctx)
		from.FunctionFlush(ctx)
		if err := from.FunctionLoad(ctx, "#!lua name=lib1\n"+body).Err(); err != nil {
			t.Fatal(err)
		}
		dump, err := from.FunctionDump(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := to.FunctionRestore(ctx, dump).Err(); err != nil {
			t.Fatalf("restore: %v", err)
		}
		if v, err := to.FCall(ctx, "f", nil).Result(); err != nil || !strings.HasPrefix(v.(string), "a long") {
			t.Fatalf("after restore: %v %v", v, err)
		}
		if err := to.FunctionRestore(ctx, dump).Err(); err == nil || err.Error() != "ERR Library lib1 already exists" {
			t.Fatalf("second restore: %v", err)
		}
		if err := to.Do(ctx, "FUNCTION", "RESTORE", dump, "REPLACE").Err(); err != nil {
			t.Fatal(err)
		}
		bad := []byte(dump)
		bad[len(bad)-1] ^= 1
		if err := to.FunctionRestore(ctx, string(bad)).Err(); err == nil || err.Error() != "ERR DUMP payload version or checksum are wrong" {
			t.Fatalf("corrupt payload: %v", err)
		}
	}
}
