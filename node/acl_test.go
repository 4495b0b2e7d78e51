package node

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shoal-db/shoal/node/acl"
	"github.com/shoal-db/shoal/node/spec"
)

func TestACLTranscript(t *testing.T) {
	for _, proto := range []int{2, 3} {
		rawCompare(t, proto,
			rc(rawWords, "ACL", "LIST"),
			xs("ACL", "SETUSER", "u1"),
			xs("ACL", "GETUSER", "u1"),
			xs("ACL", "SETUSER", "u2", "on", ">p1", ">p2", "~foo*", "%R~bar", "%W~baz", "%RW~q", "&ch*", "+@read", "-get", "+set", "+config|get"),
			rc(rawWords, "ACL", "GETUSER", "u2"),
			xs("ACL", "SETUSER", "u2", "allkeys"),
			xs("ACL", "SETUSER", "u3", "on", "nopass", "allkeys", "allchannels", "allcommands", "(~sel* +get)", "(%R~x +@hash)"),
			xs("ACL", "GETUSER", "u3"),
			rc(rawWords, "ACL", "LIST"),
			xs("ACL", "SETUSER", "u4", "~a", "allkeys", "~b"),
			xs("ACL", "SETUSER", "u4", "+select|0"),
			xs("ACL", "SETUSER", "u4", "+@nosuch"),
			xs("ACL", "SETUSER", "u4", "+nosuch"),
			xs("ACL", "SETUSER", "u4", "<nopw"),
			xs("ACL", "SETUSER", "u4", "#abc"),
			xs("ACL", "SETUSER", "u4", "bogus"),
			xs("ACL", "SETUSER", "u4", "&*", "&x"),
			xs("ACL", "SETUSER", "u4", "+get", "+set", "-get", "+get"),
			xs("ACL", "SETUSER", "u5", "+@all", "-@dangerous", "+@dangerous", "-get"),
			xs("ACL", "SETUSER", "u6", "-@all", "+@read", "+@write", "-@read"),
			xs("ACL", "SETUSER", "u7", ">a", ">b", "<a", "#"+strings.Repeat("0", 64), "!"+strings.Repeat("0", 64)),
			xs("ACL", "SETUSER", "u8", "on", "nopass", "+@all", "reset"),
			rc(rawWords, "ACL", "LIST"),
			xs("ACL", "USERS"),
			xs("ACL", "WHOAMI"),
			xs("ACL", "DELUSER", "default"),
			xs("ACL", "DELUSER", "u1", "nosuch", "u8"),
			xs("ACL", "GETUSER", "u1"),
			xs("ACL", "USERS"),
			rc(rawUnordered, "ACL", "CAT"),
			rc(rawUnordered, "ACL", "CAT", "string"),
			rc(rawUnordered, "ACL", "CAT", "admin"),
			xs("ACL", "CAT", "nosuch"),
			rc(rawShape, "ACL", "GENPASS"),
			rc(rawShape, "ACL", "GENPASS", "5"),
			xs("ACL", "GENPASS", "0"),
			xs("ACL", "SETUSER", "lim", "on", ">pw", "~k*", "%R~ro*", "&ch", "+get", "+set", "+subscribe", "+publish", "+config|get"),
			xs("ACL", "DRYRUN", "lim", "get", "x"),
			xs("ACL", "DRYRUN", "lim", "get", "k1"),
			xs("ACL", "DRYRUN", "lim", "set", "ro1", "v"),
			xs("ACL", "DRYRUN", "lim", "get", "ro1"),
			xs("ACL", "DRYRUN", "lim", "del", "k1"),
			xs("ACL", "DRYRUN", "lim", "publish", "zz", "m"),
			xs("ACL", "DRYRUN", "lim", "subscribe", "ch"),
			xs("ACL", "DRYRUN", "lim", "config", "set", "a", "b"),
			xs("ACL", "DRYRUN", "lim", "config", "get", "a"),
			xs("ACL", "DRYRUN", "lim", "nosuch"),
			xs("ACL", "DRYRUN", "nouser", "get", "k"),
			xs("ACL", "DRYRUN", "lim", "get"),
			xs("ACL", "LOG", "RESET"),
			xs("ACL", "LOG"),
			xs("ACL", "SAVE"),
			xs("ACL", "LOAD"),
			xs("ACL", "BOGUS"),
			xs("ACL", "HELP"),
		)
	}
}

// TestACLEnforced runs commands as a limited user on shoal and Redis.
func TestACLEnforced(t *testing.T) {
	connTranscript(t, 2,
		S("ACL", "SETUSER", "lim", "on", ">pw", "~k*", "%R~ro*", "&ch", "+get", "+set", "+subscribe", "+publish", "+config|get", "+multi", "+exec", "+eval", "+acl|whoami").Is("OK").On(1),
		S("AUTH", "lim", "wrong").Is(E("WRONGPASS invalid username-password pair or user is disabled.")),
		S("AUTH", "nouser", "pw").Is(E("WRONGPASS invalid username-password pair or user is disabled.")),
		S("AUTH", "lim", "pw").Is("OK"),
		S("ACL", "WHOAMI").Is("lim"),
		S("GET", "x").Is(E("NOPERM this user has no permissions to access one of the keys used as arguments")),
		S("GET", "k1").Is(nil),
		S("SET", "ro1", "v").Is(E("NOPERM this user has no permissions to access one of the keys used as arguments")),
		S("GET", "ro1").Is(nil),
		S("SET", "k1", "v").Is("OK"),
		S("DEL", "k1").Is(E("NOPERM this user has no permissions to run the 'del' command")),
		S("PUBLISH", "ch", "m").Is(int64(0)),
		S("PUBLISH", "zz", "m").Is(E("NOPERM this user has no permissions to access one of the channels used as arguments")),
		S("CONFIG", "SET", "a", "b").Is(E("NOPERM this user has no permissions to run the 'config|set' command")),
		S("CONFIG", "GET", "maxmemory").Is([]any{"maxmemory", "0"}),
		S("EVAL", "return redis.call('get', 'k1')", "0").Is("v"),
		S("MULTI").Is("OK"),
		S("DEL", "k1").Is(E("NOPERM this user has no permissions to run the 'del' command")),
		S("EXEC").Is(E("EXECABORT Transaction discarded because of previous errors.")),
		S("ACL", "SETUSER", "lim", "+del").Is("OK").On(1),
		S("DEL", "k1").Is(int64(1)),
		S("ACL", "SETUSER", "lim", "off").Is("OK").On(1),
		S("AUTH", "lim", "pw").Is(E("WRONGPASS invalid username-password pair or user is disabled.")),
		S("ACL", "DELUSER", "lim").Is(int64(1)).On(1),
	)
}

// TestACLCategoryWalk walks the whole command table: a user allowed everything but one
// category can run no command of that category, and one allowed only that category can
// run all of them (as far as the permission check goes: ACL DRYRUN).
func TestACLCategoryWalk(t *testing.T) {
	_, addr := startShoal(t)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	ref := spec.Reference()
	var all []*spec.Command
	for _, cmd := range ref.Order {
		if len(cmd.SubOrder) > 0 {
			all = append(all, cmd.SubOrder...)
		} else {
			all = append(all, cmd)
		}
	}
	argsFor := func(cmd *spec.Command) []any {
		n := cmd.Arity
		if n < 0 {
			n = -n
		}
		args := []any{}
		if cmd.Parent != nil {
			args = append(args, cmd.Parent.Name, cmd.Name)
		} else {
			args = append(args, cmd.Name)
		}
		for len(args) < n {
			args = append(args, "1")
		}
		return args
	}
	for _, cat := range ref.Categories {
		name := strings.TrimPrefix(cat, "@")
		if err := c.Do(ctx, "ACL", "SETUSER", "without", "reset", "on", "nopass", "~*", "&*", "+@all", "-@"+name).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "ACL", "SETUSER", "only", "reset", "on", "nopass", "~*", "&*", "+@"+name).Err(); err != nil {
			t.Fatal(err)
		}
		pipe := c.Pipeline()
		var cmds []*spec.Command
		var without, only []*redis.Cmd
		for _, cmd := range all {
			if !hasCategory(cmd, cat) {
				continue
			}
			cmds = append(cmds, cmd)
			without = append(without, pipe.Do(ctx, append([]any{"ACL", "DRYRUN", "without"}, argsFor(cmd)...)...))
			only = append(only, pipe.Do(ctx, append([]any{"ACL", "DRYRUN", "only"}, argsFor(cmd)...)...))
		}
		pipe.Exec(ctx)
		for i, cmd := range cmds {
			want := "This user has no permissions to run the '" + cmd.FullName + "' command"
			if got, _ := without[i].Text(); got != want {
				t.Errorf("%s without %s: %q", cmd.FullName, cat, got)
			}
			if got, err := only[i].Text(); got != "OK" {
				t.Errorf("%s only %s: %q %v", cmd.FullName, cat, got, err)
			}
		}
	}
}

func hasCategory(cmd *spec.Command, cat string) bool {
	for _, c := range cmd.Categories {
		if c == cat {
			return true
		}
	}
	return false
}

// TestACLFile saves users to the aclfile, loads them back, and starts a new server from
// the file.
func TestACLFile(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/users.acl"
	_, addr := startShoal(t, "aclfile", file)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	for _, cmd := range [][]any{
		{"ACL", "SETUSER", "alice", "on", ">secret", "~app:*", "%R~shared:*", "&news", "+@read", "-keys", "(~other:* +get)"},
		{"ACL", "SETUSER", "bob", "off", "nopass", "allkeys", "+@all", "-@dangerous"},
		{"ACL", "SAVE"},
		{"ACL", "SETUSER", "carol", "on"},
		{"ACL", "LOAD"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	users := c.Do(ctx, "ACL", "USERS").String()
	if !strings.Contains(users, "alice bob default") || strings.Contains(users, "carol") {
		t.Fatalf("after LOAD: %s", users)
	}
	before := c.Do(ctx, "ACL", "LIST").String()
	_, addr2 := startShoal(t, "aclfile", file)
	c2 := newClient(t, addr2, 2)
	if after := c2.Do(ctx, "ACL", "LIST").String(); after != before {
		t.Fatalf("restart from the file:\n%s\n%s", before, after)
	}
	a := redis.NewClient(&redis.Options{Addr: addr2, Username: "alice", Password: "secret"})
	defer a.Close()
	if err := a.Get(ctx, "app:1").Err(); err != redis.Nil {
		t.Fatalf("alice GET app:1: %v", err)
	}
	if err := a.Get(ctx, "other:1").Err(); err != redis.Nil {
		t.Fatalf("alice GET other:1 through her selector: %v", err)
	}
	if err := a.Set(ctx, "shared:1", "v", 0).Err(); err == nil {
		t.Fatal("alice wrote a read-only key")
	}
}

// TestRequirepassIsDefaultPassword: requirepass sets the default user's password, at
// start and with CONFIG SET.
func TestRequirepassIsDefaultPassword(t *testing.T) {
	_, addr := startShoal(t, "requirepass", "first")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: "first"})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Do(ctx, "ACL", "LIST").String(); !strings.Contains(got, "user default on #"+aclHash("first")+" ~* &* +@all") {
		t.Fatalf("ACL LIST: %s", got)
	}
	if err := c.ConfigSet(ctx, "requirepass", "second").Err(); err != nil {
		t.Fatal(err)
	}
	d := redis.NewClient(&redis.Options{Addr: addr, Username: "default", Password: "second"})
	defer d.Close()
	if err := d.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	bad := redis.NewClient(&redis.Options{Addr: addr, Password: "first", MaxRetries: -1})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("old password: %v", err)
	}
	if n := len(c.Do(ctx, "ACL", "LOG").Val().([]any)); n == 0 {
		t.Fatal("the failed AUTH is not in ACL LOG")
	}
}

func aclHash(p string) string { return acl.HashPassword(p) }

// TestRenameCommand renames CONFIG and removes FLUSHALL, as rename-command does.
func TestRenameCommand(t *testing.T) {
	_, addr := startShoal(t, "rename-command", "config cfg-secret", "rename-command", `flushall ""`)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	if err := c.Do(ctx, "CONFIG", "GET", "port").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'CONFIG'") {
		t.Fatalf("CONFIG still works: %v", err)
	}
	if err := c.Do(ctx, "cfg-secret", "GET", "port").Err(); err != nil {
		t.Fatalf("renamed CONFIG: %v", err)
	}
	if err := c.Do(ctx, "FLUSHALL").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command") {
		t.Fatalf("FLUSHALL still works: %v", err)
	}
}

func TestAuthBackoff(t *testing.T) {
	var f authFailures
	now := time.Unix(1000, 0)
	var delays []time.Duration
	for range 8 {
		delays = append(delays, f.fail("10.0.0.1", now))
	}
	want := []time.Duration{0, 0, 0, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond}
	if !slices.Equal(delays, want) {
		t.Fatalf("delays %v", delays)
	}
	if d := f.fail("10.0.0.2", now); d != 0 {
		t.Fatalf("another host is held %v", d)
	}
	if d := f.fail("10.0.0.1", now.Add(2*time.Minute)); d != 0 {
		t.Fatalf("after the window: %v", d)
	}
	f.reset("10.0.0.1")
	if authDelay(100) != authMaxDelay {
		t.Fatal("the delay is not bounded")
	}
}

// TestACLOutboundCommands: the commands that make the server connect to a host the
// caller names — MIGRATE, REPLICAOF/SLAVEOF, CLUSTER MEET, and CONFIG SET of the
// files it writes — are refused with NOPERM to a user without the dangerous/admin
// categories (an application user), and nothing is dialed.
func TestACLOutboundCommands(t *testing.T) {
	_, addr := startShoal(t)
	ctx := context.Background()
	c := newClient(t, addr, 2)
	if err := c.Do(ctx, "ACL", "SETUSER", "app", "on", ">pw", "~*", "&*", "+@all", "-@dangerous", "-@admin").Err(); err != nil {
		t.Fatal(err)
	}
	app := redis.NewClient(&redis.Options{Addr: addr, Username: "app", Password: "pw", Protocol: 2})
	defer app.Close()
	for _, cmd := range [][]any{
		{"MIGRATE", "10.0.0.1", "6379", "k", "0", "1000"},
		{"REPLICAOF", "10.0.0.1", "6379"},
		{"SLAVEOF", "10.0.0.1", "6379"},
		{"CLUSTER", "MEET", "10.0.0.1", "6379"},
		{"CONFIG", "SET", "dir", "/tmp"},
		{"DEBUG", "SLEEP", "0"},
	} {
		err := app.Do(ctx, cmd...).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%v as an application user: %v, want NOPERM", cmd, err)
		}
	}
	if role := c.Do(ctx, "ROLE").String(); !strings.Contains(role, "master") {
		t.Errorf("ROLE after the refused REPLICAOF: %s", role)
	}
}
