package conf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// referenceFile is a CONFIG GET * of a real Redis 7.0.15, outside the repository.
const referenceFile = "../../../shared/reference/redis-7.0.15-reference.json"

// startedWith are the directives the reference server ran with a non-default value.
var startedWith = map[string]bool{"port": true, "bind": true, "dir": true, "logfile": true,
	"save": true, "daemonize": true, "pidfile": true}

func TestReferenceDirectives(t *testing.T) {
	data, err := os.ReadFile(referenceFile)
	if os.IsNotExist(err) {
		t.Skipf("%s not found: cannot compare the directive list with a real Redis 7.0.15", referenceFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]json.RawMessage
	var list []string
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ref["CONFIG GET *"], &list); err != nil {
		t.Fatal(err)
	}
	want := pairs(t, list)
	have := pairs(t, Default().Get("*"))
	for name, v := range want {
		got, ok := have[name]
		switch {
		case !ok:
			t.Errorf("directive %q missing", name)
		case got != v && !startedWith[name]:
			t.Errorf("%s default = %q, Redis says %q", name, got, v)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("directive %q is not Redis 7.0.15's", name)
		}
	}
}

// pairs turns a flat name/value list into a map, failing on a repeated name.
func pairs(t *testing.T, flat []string) map[string]string {
	t.Helper()
	if len(flat)%2 != 0 {
		t.Fatalf("odd reply length %d", len(flat))
	}
	m := make(map[string]string)
	for i := 0; i < len(flat); i += 2 {
		if _, dup := m[flat[i]]; dup {
			t.Errorf("%q listed twice", flat[i])
		}
		m[flat[i]] = flat[i+1]
	}
	return m
}

func TestDefaults(t *testing.T) {
	c := Default()
	wd, _ := os.Getwd()
	wd, _ = filepath.EvalSymlinks(wd)
	checks := []struct {
		name      string
		got, want any
	}{
		{"port", c.Port, 6379},
		{"bind", c.Bind, []string{"127.0.0.1", "-::1"}},
		{"dir", c.Dir, wd},
		{"save", c.Save, [][2]int64{{3600, 1}, {300, 100}, {60, 10000}}},
		{"databases", c.Databases, 16},
		{"hz", c.Hz, 10},
		{"protected-mode", c.ProtectedMode, true},
		{"maxclients", c.MaxClients, 10000},
		{"proto-max-bulk-len", c.ProtoMaxBulkLen, int64(512 << 20)},
		{"list-max-listpack-size", c.ListMaxListpackSize, int64(-2)},
		{"slowlog-log-slower-than", c.SlowlogLogSlowerThan, int64(10000)},
		{"loglevel", c.Loglevel, "notice"},
		{"enable-debug-command", c.EnableDebugCommand, "no"},
		{"client-output-buffer-limit", c.ClientOutputBufferLimit,
			[3]BufferLimit{{}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}}},
		{"latency-tracking-info-percentiles", c.LatencyTrackingInfoPercentiles, []float64{50, 99, 99.9}},
		{"appendfsync", c.Appendfsync, "everysec"},
	}
	for _, ch := range checks {
		if !equal(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if c.File() != "" {
		t.Errorf("File() = %q", c.File())
	}
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestGet(t *testing.T) {
	c := Default()
	tests := []struct {
		patterns []string
		want     []string
	}{
		{[]string{"maxmemory"}, []string{"maxmemory", "0"}},
		{[]string{"MAXMEMORY"}, []string{"MAXMEMORY", "0"}},
		{[]string{"maxmemory", "MaxMemory"}, []string{"maxmemory", "0"}},
		{[]string{"slaveof"}, []string{"slaveof", ""}},
		{[]string{"hash-max-zip*"}, []string{"hash-max-ziplist-entries", "512", "hash-max-ziplist-value", "64"}},
		{[]string{"HASH-MAX-*-ENTRIES"}, []string{"hash-max-listpack-entries", "512", "hash-max-ziplist-entries", "512"}},
		{[]string{"*of"}, []string{"replicaof", "", "slaveof", ""}},
		{[]string{"p?rt"}, []string{"port", "6379"}},
		{[]string{"[pq]ort", "port"}, []string{"port", "6379"}},
		{[]string{"[^a-o]ort"}, []string{"port", "6379"}},
		{[]string{"po\\rt*"}, []string{"port", "6379"}},
		{[]string{"key-load-delay"}, []string{"key-load-delay", "0"}},
		{[]string{"key-load-*"}, nil},
		{[]string{"nosuch"}, nil},
		{[]string{"nosuch*"}, nil},
	}
	for _, tt := range tests {
		if got := c.Get(tt.patterns...); !slices.Equal(got, tt.want) {
			t.Errorf("Get(%q) = %q, want %q", tt.patterns, got, tt.want)
		}
	}
	// CONFIG GET * never fails and lists each name once, whatever the pattern looks like.
	for _, p := range []string{"*", "[", "[^", "\\", "*[", "**", "?*?", "[]", "*\\", "[a-"} {
		pairs(t, c.Get(p))
	}
	if n := len(c.Get("*")) / 2; n != 192 {
		t.Errorf("Get(*) has %d names, want 192", n)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abcd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[abc]", "b", true},
		{"[^abc]", "b", false},
		{"[a-c]x", "Bx", true},
		{"[c-a]", "b", true},
		{"a\\*", "a*", true},
		{"a\\*", "ab", false},
		{"ABC", "abc", true},
		{"*a*a*a*a*a*a*b", strings.Repeat("a", 40), false},
		{"[abc", "b", true},
		{"x\\", "x\\", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}

func set(t *testing.T, c *Config, kv ...string) *Config {
	t.Helper()
	var p [][2]string
	for i := 0; i < len(kv); i += 2 {
		p = append(p, [2]string{kv[i], kv[i+1]})
	}
	n, err := c.Set(p)
	if err != nil {
		t.Fatalf("Set(%q): %v", kv, err)
	}
	return n
}

func get(c *Config, name string) string { return c.Get(name)[1] }

func TestSet(t *testing.T) {
	old := Default()
	c := set(t, old, "maxmemory", "1gb", "hz", "1000", "save", "100 1 200 2", "bind", "0.0.0.0 ::",
		"client-output-buffer-limit", "pubsub 1mb 2mb 3", "maxmemory-clients", "10%",
		"notify-keyspace-events", "xKEA", "shutdown-on-sigint", "now save", "oom-score-adj", "relative",
		"hash-max-ziplist-entries", "100", "MaxMemory-Policy", "ALLKEYS-LRU", "port", "7000",
		"slowlog-log-slower-than", "-1", "latency-tracking-info-percentiles", "99.99 50")
	want := map[string]string{
		"maxmemory": "1073741824", "hz": "500", "save": "100 1 200 2", "bind": "0.0.0.0 ::",
		"client-output-buffer-limit":        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
		"maxmemory-clients":                 "10%",
		"notify-keyspace-events":            "AKE",
		"shutdown-on-sigint":                "save now",
		"oom-score-adj":                     "yes",
		"hash-max-listpack-entries":         "100",
		"maxmemory-policy":                  "allkeys-lru",
		"port":                              "7000",
		"latency-tracking-info-percentiles": "99.99 50",
	}
	for name, v := range want {
		if got := get(c, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if c.Maxmemory != 1<<30 || c.Hz != 500 || c.Port != 7000 || c.MaxmemoryClients != -10 ||
		c.HashMaxListpackEntries != 100 || c.MaxmemoryPolicy != "allkeys-lru" || c.SlowlogLogSlowerThan != -1 ||
		!slices.Equal(c.Bind, []string{"0.0.0.0", "::"}) || !equal(c.Save, [][2]int64{{100, 1}, {200, 2}}) ||
		c.ClientOutputBufferLimit[ClassPubSub] != (BufferLimit{1 << 20, 2 << 20, 3}) {
		t.Errorf("typed fields not updated: %+v", c)
	}
	if old.Maxmemory != 0 || get(old, "maxmemory") != "0" || old.Port != 6379 {
		t.Error("Set changed the original config")
	}
	c = set(t, c, "hz", "0", "save", "", "bind", "", "notify-keyspace-events", "")
	if c.Hz != 1 || len(c.Save) != 0 || len(c.Bind) != 0 || get(c, "save") != "" || get(c, "notify-keyspace-events") != "" {
		t.Errorf("hz=%d save=%v bind=%v", c.Hz, c.Save, c.Bind)
	}
	if c, err := old.Set(nil); err != nil || c == nil {
		t.Errorf("Set(nil) = %v, %v", c, err)
	}
}

func TestSetErrors(t *testing.T) {
	const failed = "ERR CONFIG SET failed (possibly related to argument '"
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{"foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"maxmemory", "1xb"}, failed + "maxmemory') - argument must be a memory value"},
		{[]string{"maxmemory", "-1"}, failed + "maxmemory') - argument must be a memory value"},
		{[]string{"maxclients", "1e3"}, failed + "maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "0"}, failed + "maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"maxclients", "-1"}, failed + "maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"port", "65536"}, failed + "port') - argument must be between 0 and 65535 inclusive"},
		{[]string{"port", "+1"}, failed + "port') - argument couldn't be parsed into an integer"},
		{[]string{"port", "01"}, failed + "port') - argument couldn't be parsed into an integer"},
		{[]string{"proto-max-bulk-len", "1000"}, failed + "proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[]string{"maxmemory-clients", "101%"}, failed + "maxmemory-clients') - percentage argument must be less or equal to 100"},
		{[]string{"maxmemory-clients", "x"}, failed + "maxmemory-clients') - argument must be a memory or percent value"},
		{[]string{"daemonize", "yes"}, failed + "daemonize') - can't set immutable config"},
		{[]string{"SLAVEOF", "h 1"}, failed + "SLAVEOF') - can't set immutable config"},
		{[]string{"dir", "/"}, failed + "dir') - can't set protected config"},
		{[]string{"dbfilename", "x"}, failed + "dbfilename') - can't set protected config"},
		{[]string{"hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"}, failed + "hash-max-listpack-entries') - duplicate parameter"},
		{[]string{"hash-max-ziplist-entries", "x"}, failed + "hash-max-listpack-entries') - argument couldn't be parsed into an integer"},
		{[]string{"appendonly", "maybe"}, failed + "appendonly') - argument must be 'yes' or 'no'"},
		{[]string{"loglevel", "loud"}, failed + "loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"},
		{[]string{"oom-score-adj", "x"}, failed + "oom-score-adj') - argument(s) must be one of the following: no, yes, relative, absolute"},
		{[]string{"shutdown-on-sigterm", "save nosave"}, failed + "shutdown-on-sigterm') - shutdown can't have both 'save' and 'nosave' flags"},
		{[]string{"shutdown-on-sigterm", ""}, failed + "shutdown-on-sigterm') - argument(s) must be one of the following: default, save, nosave, now, force"},
		{[]string{"save", "100"}, failed + "save') - Invalid save parameters"},
		{[]string{"save", "0 1"}, failed + "save') - Invalid save parameters"},
		{[]string{"bind", strings.Repeat("a ", 16) + "a"}, failed + "bind') - Too many bind addresses specified."},
		{[]string{"client-output-buffer-limit", "master 1 1 1"}, failed + "client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
		{[]string{"client-output-buffer-limit", "normal 1 1"}, failed + "client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
		{[]string{"client-output-buffer-limit", "normal 1 1 -1"}, failed + "client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{[]string{"notify-keyspace-events", "KEq"}, failed + "notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{[]string{"oom-score-adj-values", "0 200"}, failed + "oom-score-adj-values') - wrong number of arguments"},
		{[]string{"oom-score-adj-values", "0 200 3000"}, failed + "oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
		{[]string{"latency-tracking-info-percentiles", "50 101"}, failed + "latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		{[]string{"latency-tracking-info-percentiles", "fifty"}, failed + "latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"},
		{[]string{"cluster-announce-hostname", "a_b"}, failed + "cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"},
		{[]string{"proc-title-template", "{nope}"}, failed + "proc-title-template') - template format is invalid or contains unknown variables"},
		{[]string{"proc-title-template", "{title}"}, failed + "proc-title-template') - template format is invalid or contains unknown variables"},
		// First error wins: an unknown name after an immutable one reports the immutable one.
		{[]string{"daemonize", "no", "foo", "1"}, failed + "daemonize') - can't set immutable config"},
		{[]string{"foo", "1", "daemonize", "no"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	}
	old := Default()
	for _, tt := range tests {
		var p [][2]string
		for i := 0; i < len(tt.kv); i += 2 {
			p = append(p, [2]string{tt.kv[i], tt.kv[i+1]})
		}
		c, err := old.Set(p)
		if err == nil || err.Error() != tt.want || c != nil {
			t.Errorf("Set(%q) = %v, %v\nwant error %s", tt.kv, c, err, tt.want)
		}
	}
}

func TestSetAtomic(t *testing.T) {
	old := Default()
	before := old.Get("*")
	_, err := old.Set([][2]string{{"maxmemory", "1mb"}, {"save", ""}, {"port", "abc"}})
	if err == nil {
		t.Fatal("bad port accepted")
	}
	if !slices.Equal(old.Get("*"), before) || old.Maxmemory != 0 || len(old.Save) != 3 {
		t.Error("a failed Set changed the config")
	}
}

func TestSetProtected(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		setting string
		local   bool
		ok      bool
	}{{"no", true, false}, {"yes", false, true}, {"local", false, false}, {"local", true, true}} {
		c, _, err := Parse("enable-protected-configs "+tt.setting, "t.conf")
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.SetFrom([][2]string{{"dir", dir}, {"dbfilename", "x.rdb"}}, tt.local)
		if (err == nil) != tt.ok {
			t.Errorf("%s, local=%v: %v", tt.setting, tt.local, err)
		}
		if err == nil && (n.Dir != dir || n.Dbfilename != "x.rdb") {
			t.Errorf("dir=%q dbfilename=%q", n.Dir, n.Dbfilename)
		}
	}
	c, _, _ := Parse("enable-protected-configs yes", "")
	for _, tt := range [][2]string{
		{dir + "/nope", "No such file or directory"},
		{"", "No such file or directory"},
		{"/dev/null", "Not a directory"},
	} {
		_, err := c.Set([][2]string{{"dir", tt[0]}})
		if want := "ERR CONFIG SET failed (possibly related to argument 'dir') - " + tt[1]; err == nil || err.Error() != want {
			t.Errorf("dir %q: %v, want %s", tt[0], err, want)
		}
	}
	if _, err := c.Set([][2]string{{"dbfilename", "a/b"}}); err == nil ||
		!strings.HasSuffix(err.Error(), "dbfilename can't be a path, just a filename") {
		t.Errorf("dbfilename a/b: %v", err)
	}
}

func TestHelpers(t *testing.T) {
	if !Sensitive("requirepass") || !Sensitive("MASTERAUTH") || Sensitive("port") || Sensitive("nosuch") {
		t.Error("Sensitive")
	}
	if Allowed("no", true) || !Allowed("yes", false) || Allowed("local", false) || !Allowed("local", true) {
		t.Error("Allowed")
	}
}
