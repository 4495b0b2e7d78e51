package node

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestConnectionTranscript(t *testing.T) {
	transcript(t,
		S("PING").Is("PONG"),
		S("PING", "hello").Is("hello"),
		S("PING", "a", "b").Is(E("ERR wrong number of arguments for 'ping' command")),
		S("ECHO", "x y").Is("x y"),
		S("ECHO").Is(E("ERR wrong number of arguments for 'echo' command")),
		S("SELECT", "1").Is("OK"),
		S("SELECT", "16").Is(E("ERR DB index is out of range")),
		S("SELECT", "x").Is(E("ERR value is not an integer or out of range")),
		S("NOSUCHCMD", "a", "b").Is(E("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ")),
		S("CLIENT", "NOSUCH").Is(E("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")),
		S("CLIENT").Is(E("ERR wrong number of arguments for 'client' command")),
		S("CLIENT", "SETNAME", "a b").Is(E("ERR Client names cannot contain spaces, newlines or special characters.")),
		S("CLIENT", "SETNAME", "conn1").Is("OK"),
		S("CLIENT", "GETNAME").Is("conn1"),
		S("CLIENT", "NO-EVICT", "maybe").Is(E("ERR syntax error")),
		S("AUTH", "x").Is(E("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")),
		S("HELLO", "4").Is(E("NOPROTO unsupported protocol version")),
		S("HELLO", "x").Is(E("ERR Protocol version is not an integer or out of range")),
	)
}

func TestRequirepass(t *testing.T) {
	transcriptWith(t, 2, []string{"requirepass", "s3cret"},
		S("GET", "k").Is(E("NOAUTH Authentication required.")),
		S("AUTH", "wrong").Is(E("WRONGPASS invalid username-password pair or user is disabled.")),
		S("AUTH", "default", "s3cret").Is("OK"),
		S("GET", "k").Is(nil),
	)
}

// Raw protocol: inline commands, pipelining, protocol errors close the connection.
func TestRawProtocol(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(conn)
		conn.Write([]byte("PING\r\n*1\r\n$4\r\nPING\r\nECHO \"a b\"\r\n"))
		for _, want := range []string{"+PONG\r\n", "+PONG\r\n", "$3\r\n", "a b\r\n"} {
			line, err := r.ReadString('\n')
			if err != nil || line != want {
				t.Fatalf("got %q %v want %q", line, err, want)
			}
		}
		conn.Write([]byte("*1\r\nx\r\n"))
		line, _ := r.ReadString('\n')
		if line != "-ERR Protocol error: expected '$', got 'x'\r\n" {
			t.Fatalf("protocol error reply %q", line)
		}
		if _, err := r.ReadString('\n'); err == nil {
			t.Fatal("connection not closed after protocol error")
		}
	})
}

func TestHello3(t *testing.T) {
	_, addr := startShoal(t)
	c := newClient(t, addr, 3)
	m, err := c.Do(context.Background(), "HELLO", "3").Result()
	if err != nil {
		t.Fatal(err)
	}
	hm, ok := m.(map[any]any)
	if !ok || hm["proto"] != int64(3) || hm["server"] != "redis" {
		t.Fatalf("HELLO 3 = %#v", m)
	}
	info, err := c.Do(context.Background(), "CLIENT", "INFO").Text()
	if err != nil || !strings.Contains(info, "resp=3") {
		t.Fatalf("CLIENT INFO %q %v", info, err)
	}
}

func TestSelectRange(t *testing.T) {
	transcript(t,
		S("SELECT", "99999999999").Is(E("ERR value is out of range, value must between -2147483648 and 2147483647")),
		S("SELECT", "-1").Is(E("ERR DB index is out of range")),
		S("SLOWLOG", "HELP").Is(Any),
	)
}
