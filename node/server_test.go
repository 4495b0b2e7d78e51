package node

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// infoFields returns the field names of an INFO reply, by section.
func infoFields(text string) map[string][]string {
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(text, "\r\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			section = strings.ToLower(line[2:])
		case line != "":
			k, _, _ := strings.Cut(line, ":")
			out[section] = append(out[section], k)
		}
	}
	return out
}

// INFO has every section and field a Redis 7.0.15 reports, in Redis's order.
func TestInfoFieldsMatchReference(t *testing.T) {
	raw, err := os.ReadFile("../../shared/reference/redis-7.0.15-reference.json")
	if err != nil {
		t.Skipf("reference not found (%v)", err)
	}
	var ref struct {
		Info string `json:"INFO everything"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	_, addr := startShoal(t)
	c := newClient(t, addr, 2)
	c.Set(context.Background(), "k", "v", 0)
	got, err := c.Info(context.Background(), "everything").Result()
	if err != nil {
		t.Fatal(err)
	}
	want, have := infoFields(ref.Info), infoFields(got)
	for section, fields := range want {
		if strings.HasPrefix(section, "cmdstat") || section == "commandstats" || section == "latencystats" || section == "errorstats" || section == "keyspace" {
			continue // their fields depend on what ran
		}
		hv, ok := have[section]
		if !ok {
			t.Errorf("section %q missing", section)
			continue
		}
		i := 0
		for _, f := range hv {
			if i < len(fields) && f == fields[i] {
				i++
			}
		}
		if i != len(fields) {
			t.Errorf("section %q: field %q missing or out of order", section, fields[i])
		}
	}
	if !strings.Contains(got, "db0:keys=1,expires=0,avg_ttl=0") {
		t.Errorf("keyspace line missing:\n%s", got)
	}
	if !strings.Contains(got, "cmdstat_set:calls=1,") {
		t.Errorf("commandstats missing set")
	}
}

func TestConfigTranscript(t *testing.T) {
	transcript(t,
		S("CONFIG", "SET", "maxmemory", "abc").Is(E("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")),
		S("CONFIG", "SET", "nosuch", "1").Is(E("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")),
		S("CONFIG", "SET", "maxmemory", "10mb", "hz", "20").Is("OK"),
		S("CONFIG", "GET", "maxmemory").Is([]any{"maxmemory", "10485760"}),
		S("CONFIG", "GET", "hz").Is([]any{"hz", "20"}),
		S("CONFIG", "SET", "databases", "4").Is(E("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config")),
		S("CONFIG", "GET", "hash-max-ziplist-entries").Is([]any{"hash-max-ziplist-entries", "512"}),
		S("CONFIG", "REWRITE").Is(E("ERR The server is running without a config file")),
		S("CONFIG", "RESETSTAT").Is("OK"),
		S("CONFIG", "SET", "slowlog-log-slower-than", "0").Is("OK"),
		S("SLOWLOG", "RESET").Is("OK"),
		S("SLOWLOG", "GET", "x").Is(E("ERR count should be greater than or equal to -1")),
		S("LATENCY", "RESET").Is(0),
		S("LATENCY", "LATEST").Is([]any{}),
		S("DEBUG", "SLEEP", "0").Is(Prefix("ERR DEBUG command not allowed.")),
		S("MEMORY", "USAGE", "nosuch").Is(nil),
		S("DBSIZE").Is(0),
	)
}

func TestConfigGetStarIsComplete(t *testing.T) {
	_, addr := startShoal(t)
	c := newClient(t, addr, 2)
	kv, err := c.ConfigGet(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(kv) < 190 {
		t.Fatalf("CONFIG GET * returned %d directives", len(kv))
	}
}

func TestSlowlogRecords(t *testing.T) {
	_, addr := startShoal(t, "slowlog-log-slower-than", "0")
	c := newClient(t, addr, 2)
	ctx := context.Background()
	c.Do(ctx, "SLOWLOG", "RESET")
	c.Do(ctx, "PING", strings.Repeat("x", 200))
	entries, err := c.SlowLogGet(ctx, 10).Result()
	if err != nil || len(entries) == 0 {
		t.Fatalf("slowlog %v %v", entries, err)
	}
	args := entries[0].Args
	if len(args) != 2 || args[0] != "PING" || !strings.HasSuffix(args[1], "... (72 more bytes)") {
		t.Fatalf("slowlog args %q", args)
	}
	// At slowlog-max-len the oldest entries go; GET answers the newest first.
	c.Do(ctx, "CONFIG", "SET", "slowlog-max-len", "3")
	for i := range 5 {
		c.Do(ctx, "ECHO", strconv.Itoa(i))
	}
	if n := c.Do(ctx, "SLOWLOG", "LEN").Val(); n != int64(3) {
		t.Errorf("SLOWLOG LEN at slowlog-max-len 3: %v", n)
	}
	for _, tc := range []struct {
		count int64
		want  string
	}{{-1, "slowlog len|echo 4|echo 3"}, {1, "slowlog get -1"}} {
		entries = c.SlowLogGet(ctx, tc.count).Val()
		var got []string
		for i, e := range entries {
			got = append(got, strings.ToLower(strings.Join(e.Args, " ")))
			if i > 0 && e.ID != entries[i-1].ID-1 {
				t.Errorf("SLOWLOG GET %d: IDs %d then %d", tc.count, entries[i-1].ID, e.ID)
			}
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("SLOWLOG GET %d = %q, want %s", tc.count, got, tc.want)
		}
	}
}

// TestSlowlogPipelineTimes: a pipelined command's time starts where the previous one's
// ended, but not across a wait: the PING after a BLPOP that blocked for 300 ms is not
// charged with the wait (nor is the BLPOP: a blocked command counts its execution).
func TestSlowlogPipelineTimes(t *testing.T) {
	_, addr := startShoal(t, "slowlog-log-slower-than", "100000")
	conn, r := rawConn(t, addr)
	conn.Write([]byte("BLPOP nolist 0.3\r\nPING\r\nSLOWLOG LEN\r\n"))
	expectLine(t, r, "*-1\r\n")
	expectLine(t, r, "+PONG\r\n")
	expectLine(t, r, ":0\r\n")
}

// rawConn speaks RESP by hand to check protocol-level behaviour.
func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, bufio.NewReader(conn)
}

func expectLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil || line != want {
		t.Fatalf("got %q (%v), want %q", line, err, want)
	}
}

func expectClosed(t *testing.T, r *bufio.Reader) {
	t.Helper()
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("connection still open, read %q", line)
	}
}

func TestProtocolLimits(t *testing.T) {
	for _, tg := range servers(t, "requirepass", "pw", "proto-max-bulk-len", "1mb") {
		t.Run(tg.name, func(t *testing.T) {
			cases := []struct{ send, reply string }{
				{"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
				{"*1\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
				{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
				{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
				{"SET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
				{strings.Repeat("a", 70000), "-ERR Protocol error: too big inline request\r\n"},
			}
			for _, tc := range cases {
				conn, r := rawConn(t, tg.addr)
				conn.Write([]byte(tc.send))
				expectLine(t, r, tc.reply)
				expectClosed(t, r)
			}
			// Authenticated: bigger than proto-max-bulk-len is refused.
			conn, r := rawConn(t, tg.addr)
			conn.Write([]byte("AUTH pw\r\n*2\r\n$4\r\nECHO\r\n$2000000\r\n"))
			expectLine(t, r, "+OK\r\n")
			expectLine(t, r, "-ERR Protocol error: invalid bulk length\r\n")
			expectClosed(t, r)
		})
	}
}

func TestSecurityAttackClosesConnection(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		conn, r := rawConn(t, addr)
		conn.Write([]byte("POST / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
		expectClosed(t, r)
	})
}

func TestMaxClients(t *testing.T) {
	_, addr := startShoal(t, "maxclients", "2")
	c1, r1 := rawConn(t, addr)
	c2, r2 := rawConn(t, addr)
	for _, p := range []struct {
		c net.Conn
		r *bufio.Reader
	}{{c1, r1}, {c2, r2}} {
		p.c.Write([]byte("PING\r\n"))
		expectLine(t, p.r, "+PONG\r\n")
	}
	_, r3 := rawConn(t, addr)
	expectLine(t, r3, "-ERR max number of clients reached\r\n")
	expectClosed(t, r3)
}

func TestClientKillAndList(t *testing.T) {
	_, addr := startShoal(t)
	victim, vr := rawConn(t, addr)
	victim.Write([]byte("CLIENT SETNAME victim\r\n"))
	expectLine(t, vr, "+OK\r\n")
	c := newClient(t, addr, 2)
	ctx := context.Background()
	list, err := c.ClientList(ctx).Result()
	if err != nil || !strings.Contains(list, "name=victim") {
		t.Fatalf("CLIENT LIST %q %v", list, err)
	}
	var id string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "name=victim") {
			id = strings.TrimPrefix(strings.Fields(line)[0], "id=")
		}
	}
	n, err := c.Do(ctx, "CLIENT", "KILL", "ID", id).Int()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL %d %v", n, err)
	}
	expectClosed(t, vr)
}

func TestIdleTimeout(t *testing.T) {
	_, addr := startShoal(t, "timeout", "1")
	conn, r := rawConn(t, addr)
	conn.Write([]byte("PING\r\n"))
	expectLine(t, r, "+PONG\r\n")
	expectClosed(t, r) // closed by the cron after a second idle; the read deadline is 10s
}

func TestUnixSocket(t *testing.T) {
	sock := t.TempDir() + "/shoal.sock"
	startShoal(t, "unixsocket", sock, "unixsocketperm", "700")
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket %v %v", fi, err)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("PING\r\n"))
	expectLine(t, bufio.NewReader(conn), "+PONG\r\n")
}
