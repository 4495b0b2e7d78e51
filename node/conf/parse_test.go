package conf

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) (*Config, []string) {
	t.Helper()
	c, warnings, err := Parse(text, "test.conf")
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c, warnings
}

func TestParse(t *testing.T) {
	c, warnings := mustParse(t, `
# a comment
   # an indented comment
PORT 7000
port 7001
MaxMemory 2GB
hash-max-ziplist-value 1k
zset-max-listpack-value 1Kb
proto-max-bulk-len 5m
client-query-buffer-limit 2mb
repl-backlog-size 3g
active-defrag-ignore-bytes 100b
save '3600 1 300 100'
bind "10.0.0.1 10.0.0.2"
requirepass "p\x41ss word"
unixsocketperm 755
loglevel WARNING
replicaof 10.0.0.9 6380
rdbcompression no
rdbcompression yes
rename-command FLUSHALL ""
list-max-ziplist-entries 512
notify-keyspace-events "Ex"
hz 900
`)
	checks := map[string]string{
		"port": "7001", "maxmemory": "2147483648", "hash-max-listpack-value": "1000",
		"zset-max-listpack-value": "1024", "proto-max-bulk-len": "5000000",
		"client-query-buffer-limit": "2097152", "repl-backlog-size": "3000000000",
		"active-defrag-ignore-bytes": "100", "save": "3600 1 300 100", "bind": "10.0.0.1 10.0.0.2",
		"requirepass": "pAss word", "unixsocketperm": "755", "loglevel": "warning",
		"replicaof": "10.0.0.9 6380", "slaveof": "10.0.0.9 6380", "notify-keyspace-events": "xE", "hz": "500",
	}
	for name, want := range checks {
		if got := get(c, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if c.Port != 7001 || c.Unixsocketperm != 0o755 || c.MasterHost != "10.0.0.9" || c.MasterPort != 6380 ||
		c.Requirepass != "pAss word" || !slices.Equal(c.Bind, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("typed fields: %+v", c)
	}
	wantWarnings := []string{
		"directive 'active-defrag-ignore-bytes' is accepted but not implemented yet",
	}
	if !slices.Equal(warnings, wantWarnings) {
		t.Errorf("warnings = %q", warnings)
	}
}

// TestParseImplementedQuiet: directives shoal acts on load without the "not
// implemented" warning.
func TestParseImplementedQuiet(t *testing.T) {
	c, warnings := mustParse(t, `
client-output-buffer-limit replica 512mb 128mb 60
client-output-buffer-limit pubsub 32mb 8mb 60
acllog-max-len 64
busy-reply-threshold 2000
stream-node-max-entries 50
stream-node-max-bytes 2kb
hll-sparse-max-bytes 1000
lazyfree-lazy-eviction yes
lazyfree-lazy-expire yes
lazyfree-lazy-server-del yes
repl-disable-tcp-nodelay yes
aclfile /etc/shoal/users.acl
acl-pubsub-default allchannels
lfu-log-factor 20
lfu-decay-time 2
`)
	if len(warnings) > 0 {
		t.Errorf("warnings = %q", warnings)
	}
	if c.AcllogMaxLen != 64 || c.StreamNodeMaxBytes != 2048 || !c.LazyfreeLazyExpire || !c.ReplDisableTCPNoDelay ||
		c.LFULogFactor != 20 || c.AclPubsubDefault != "allchannels" {
		t.Errorf("typed fields: %+v", c)
	}
}

func TestParseSave(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", "3600 1 300 100 60 10000"},
		{"save 10 1", "10 1"},
		{"save 10 1\nsave 20 2", "10 1 20 2"},
		{"save 10 1 20 2", "10 1 20 2"},
		{`save ""`, ""},
		{"save \"\"\nsave 5 5", "5 5"},
		{"save 5 5\nsave ''", ""},
		{"save 5 5\nsave ''\nsave 6 6", "6 6"},
	}
	for _, tt := range tests {
		if c, _ := mustParse(t, tt.text); get(c, "save") != tt.want {
			t.Errorf("%q: save = %q, want %q", tt.text, get(c, "save"), tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text, line, reason string
		n                  int
	}{
		{"port 1\n\nfooo bar", "fooo bar", "Bad directive or wrong number of arguments", 3},
		{"port 1 2", "port 1 2", "wrong number of arguments", 1},
		{"port", "port", "wrong number of arguments", 1},
		{"port 70000", "port 70000", "argument must be between 0 and 65535 inclusive", 1},
		{"port x", "port x", "argument couldn't be parsed into an integer", 1},
		{"databases 0", "databases 0", "argument must be between 1 and 2147483647 inclusive", 1},
		{"maxclients 0", "maxclients 0", "argument must be between 1 and 4294967295 inclusive", 1},
		{"appendonly 1", "appendonly 1", "argument must be 'yes' or 'no'", 1},
		{"maxmemory 1tb", "maxmemory 1tb", "argument must be a memory value", 1},
		{"unixsocketperm 1000", "unixsocketperm 1000", "argument must be between 0 and 777 inclusive", 1},
		{"unixsocketperm 9", "unixsocketperm 9", "argument couldn't be parsed as an octal number", 1},
		{"  dir \"/x'\"y", `dir "/x'"y`, "Unbalanced quotes in configuration line", 1},
		{"save 1", "save 1", "Invalid save parameters", 1},
		{"sentinel monitor m 1 2", "sentinel monitor m 1 2", "sentinel directive while not in sentinel mode", 1},
		{"include", "include", "Bad directive or wrong number of arguments", 1},
		{"rename-command a", "rename-command a", "Bad directive or wrong number of arguments", 1},
		{"replicaof h", "replicaof h", "wrong number of arguments", 1},
		{"replicaof h p", "replicaof h p", "Invalid master port", 1},
		{"maxmemory-policy lru", "maxmemory-policy lru", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", 1},
	}
	for _, tt := range tests {
		_, _, err := Parse(tt.text, "my.conf")
		want := "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file my.conf, at line " +
			itoa(tt.n) + "\n>>> '" + tt.line + "'\n" + tt.reason
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error:\n%v\nwant:\n%s", tt.text, err, want)
		}
	}
	_, _, err := Parse("cluster-enabled yes\nreplicaof h 1", "")
	if want := "*** FATAL CONFIG FILE ERROR ***\nreplicaof directive not allowed in cluster mode"; err == nil || err.Error() != want {
		t.Errorf("cluster replicaof: %v", err)
	}
	_, _, err = Parse("x y", "")
	if want := "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line 1\n>>> 'x y'\nBad directive or wrong number of arguments"; err == nil || err.Error() != want {
		t.Errorf("no file name: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func write(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.conf"), "maxmemory 1mb\ninclude "+filepath.Join(dir, "conf.d", "*.conf")+"\n")
	write(t, filepath.Join(dir, "conf.d", "1.conf"), "port 1000\nmaxmemory 2mb\n")
	write(t, filepath.Join(dir, "conf.d", "2.conf"), "port 2000\n")
	main := write(t, filepath.Join(dir, "main.conf"), "port 5\ndir "+dir+"\ninclude a.conf\ninclude empty/*.conf\ntimeout 9\n")
	c, _, err := Load(main, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 2000 || c.Maxmemory != 2<<20 || c.Timeout != 9 || c.Dir != dir || c.File() != main {
		t.Errorf("port=%d maxmemory=%d timeout=%d dir=%q file=%q", c.Port, c.Maxmemory, c.Timeout, c.Dir, c.File())
	}

	// A relative include starts from the current dir, which the file changed.
	write(t, filepath.Join(dir, "sub", "rel.conf"), "port 3000\n")
	c, _, err = Parse("dir "+dir+"\ndir sub\ninclude rel.conf", "")
	if err != nil || c.Port != 3000 || c.Dir != filepath.Join(dir, "sub") {
		t.Errorf("relative include: %v, port=%d dir=%q", err, c.Port, c.Dir)
	}

	// Errors in an included file name that file and line.
	bad := write(t, filepath.Join(dir, "bad.conf"), "# ok\nport -1\n")
	_, _, err = Parse("include "+bad, "top.conf")
	if want := "Reading the configuration file " + bad + ", at line 2\n>>> 'port -1'"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error in include: %v", err)
	}
	_, _, err = Parse("include "+filepath.Join(dir, "missing.conf"), "top.conf")
	if want := "Fatal error, can't open config file '" + filepath.Join(dir, "missing.conf") + "': No such file or directory"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("missing include: %v", err)
	}
	loop := write(t, filepath.Join(dir, "loop.conf"), "port 1\ninclude "+filepath.Join(dir, "loop2.conf")+"\n")
	write(t, filepath.Join(dir, "loop2.conf"), "include "+loop+"\n")
	if _, _, err = Load(loop, nil); err == nil || !strings.Contains(err.Error(), "Include loop") {
		t.Errorf("include loop: %v", err)
	}
	if _, _, err = Load(filepath.Join(dir, "none.conf"), nil); err == nil ||
		!strings.HasPrefix(err.Error(), "Fatal error, can't open config file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadArgs(t *testing.T) {
	dir := t.TempDir()
	file := write(t, filepath.Join(dir, "r.conf"), "port 1\nmaxmemory 5mb\nsave 10 10\n")
	tests := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1"},
			map[string]string{"port": "7000", "save": "", "bind": "127.0.0.1 ::1", "maxmemory": "5242880"}},
		{[]string{"--save"}, map[string]string{"save": "", "port": "1"}},
		{[]string{"--save", "--port", "2"}, map[string]string{"save": "", "port": "2"}},
		{[]string{"--save", "3600 1", "--port 6380"}, map[string]string{"save": "10 10 3600 1", "port": "6380"}},
		{[]string{"--save", "60", "1", "--requirepass", "a b\"c"}, map[string]string{"save": "10 10 60 1", "requirepass": "a b\"c"}},
		{[]string{"--maxmemory", "1mb", "--maxmemory", "2mb"}, map[string]string{"maxmemory": "2097152"}},
	}
	for _, tt := range tests {
		c, _, err := Load(file, tt.args)
		if err != nil {
			t.Errorf("Load(%q): %v", tt.args, err)
			continue
		}
		for name, want := range tt.want {
			if got := get(c, name); got != want {
				t.Errorf("Load(%q): %s = %q, want %q", tt.args, name, got, want)
			}
		}
	}
	_, _, err := Load("", []string{"--port", "7000", "--nosuch", "1"})
	want := "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file (command line), at line 2\n>>> 'nosuch \"1\"'\nBad directive or wrong number of arguments"
	if err == nil || err.Error() != want {
		t.Errorf("bad override: %v", err)
	}
	if c, _, err := Load("", nil); err != nil || c.Port != 6379 || c.File() != "" {
		t.Errorf("Load nothing: %v", err)
	}
}
