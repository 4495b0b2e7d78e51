package node

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Test support for the collection families: reply checks for random answers, and raw
// RESP3 comparisons that see the reply types go-redis hides (set vs array, map vs array).

// isLen matches an array of n elements.
func isLen(n int) Check {
	return func(got any) bool {
		g, ok := got.([]any)
		return ok && len(g) == n
	}
}

// subsetOf matches an array of n elements all drawn from pool (distinct when distinct).
func subsetOf(n int, distinct bool, pool ...string) Check {
	return func(got any) bool {
		g, ok := got.([]any)
		if !ok || len(g) != n {
			return false
		}
		seen := map[any]bool{}
		for _, x := range g {
			if !slices.Contains(pool, fmt.Sprint(x)) || (distinct && seen[x]) {
				return false
			}
			seen[x] = true
		}
		return true
	}
}

// oneOf matches a reply equal to one of vals.
func oneOf(vals ...any) Check {
	return func(got any) bool {
		for _, v := range vals {
			if matches(v, got) {
				return true
			}
		}
		return false
	}
}

// Raw RESP comparisons.

// rawCmd is one command of a raw comparison and how its replies are compared: exactly,
// with the top-level aggregate's elements in any order, or by shape only (type and
// length of the top-level reply: for random answers).
type rawCmd struct {
	args []string
	mode int
}

const (
	rawExact = iota
	rawUnordered
	rawShape
	// rawWords compares bulk strings as sets of space-separated words (descriptions
	// whose word order Redis itself does not fix, such as ACL rules).
	rawWords
)

func rc(mode int, args ...string) rawCmd { return rawCmd{args: args, mode: mode} }

// rawCompare runs cmds on shoal and Redis over plain connections speaking proto and
// fails where the typed renderings of the replies differ.
func rawCompare(t *testing.T, proto int, cmds ...rawCmd) {
	t.Helper()
	tgs := servers(t)
	if len(tgs) < 2 {
		t.Skip("redis-server is not installed")
	}
	var outs [2][]string
	for i, tg := range tgs {
		conn, err := net.DialTimeout("tcp", tg.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		rd := bufio.NewReader(conn)
		if proto == 3 {
			writeCmd(conn, "HELLO", "3")
			readReply(t, rd)
		}
		for _, c := range cmds {
			writeCmd(conn, c.args...)
			outs[i] = append(outs[i], renderReply(readReply(t, rd), c.mode))
		}
	}
	for i, c := range cmds {
		if outs[0][i] != outs[1][i] {
			t.Errorf("RESP%d %s\n  shoal %s\n  redis %s", proto, strings.Join(c.args, " "), outs[0][i], outs[1][i])
		}
	}
}

func writeCmd(w io.Writer, args ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	io.WriteString(w, b.String())
}

// reply is a parsed RESP reply: its type byte, scalar text, and elements.
type reply struct {
	typ   byte
	text  string
	elems []reply
}

func readReply(t *testing.T, rd *bufio.Reader) reply {
	t.Helper()
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	r := reply{typ: line[0], text: line[1:]}
	switch r.typ {
	case '$', '=':
		n, _ := strconv.Atoi(r.text)
		if n < 0 {
			return reply{typ: '_'}
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			t.Fatal(err)
		}
		r.text = string(buf[:n])
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(r.text)
		if n < 0 {
			return reply{typ: '_'}
		}
		if r.typ == '%' {
			n *= 2
		}
		for range n {
			r.elems = append(r.elems, readReply(t, rd))
		}
	}
	return r
}

func renderReply(r reply, mode int) string {
	switch r.typ {
	case '*', '~', '%', '>':
		if mode == rawShape {
			return fmt.Sprintf("%c%d", r.typ, len(r.elems))
		}
		parts := make([]string, 0, len(r.elems))
		step := 1
		if r.typ == '%' {
			step = 2
		}
		inner := rawExact
		if mode == rawWords {
			inner = rawWords
		}
		for i := 0; i < len(r.elems); i += step {
			s := renderReply(r.elems[i], inner)
			if step == 2 {
				s += ":" + renderReply(r.elems[i+1], inner)
			}
			parts = append(parts, s)
		}
		if mode == rawUnordered {
			slices.Sort(parts)
		}
		return fmt.Sprintf("%c[%s]", r.typ, strings.Join(parts, " "))
	case '_':
		return "_"
	}
	if mode == rawShape {
		return string(r.typ)
	}
	if mode == rawWords {
		words := strings.Fields(r.text)
		slices.Sort(words)
		return string(r.typ) + strings.Join(words, " ")
	}
	return string(r.typ) + r.text
}
