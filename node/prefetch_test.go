package node

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/node/resp"
)

// TestPrefetchWindow checks how a pipeline is cut into prefetch windows: requests on
// different keys, or a run on one key naming members of its collection.
func TestPrefetchWindow(t *testing.T) {
	c := &Client{s: &Server{table: newTable(allDefs())}}
	cmds := func(lines ...string) string {
		var b strings.Builder
		for _, l := range lines {
			f := strings.Fields(l)
			fmt.Fprintf(&b, "*%d\r\n", len(f))
			for _, a := range f {
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
			}
		}
		return b.String()
	}
	many, manyMembers := make([]string, 40), make([]string, 32)
	for i := range many {
		many[i] = fmt.Sprintf("SADD s m%d", i)
	}
	for i := range manyMembers {
		manyMembers[i] = fmt.Sprintf("m%d", i)
	}
	for _, tc := range []struct {
		name    string
		first   string // the request about to run, if any
		in      []string
		n       int
		members []string // nil: a window of keys
	}{
		{"keys", "", []string{"GET a", "SET b 1", "PING", "INCR c"}, 3, nil},
		{"keys end at a repeat", "", []string{"GET a", "GET b", "GET b", "GET c"}, 2, nil},
		{"a run without members", "", []string{"LPUSH l a", "LPUSH l b", "LPUSH l c"}, 1, nil},
		{"set members", "", []string{"SADD s m1", "sismember s m2", "SREM s m3 m4", "GET x"}, 3, []string{"m1", "m2", "m3"}},
		{"hash fields", "", []string{"HSET h f1 v", "HGET h f2", "hincrby h f3 1"}, 3, []string{"f1", "f2", "f3"}},
		{"zset members", "", []string{"ZADD z 1 a", "ZINCRBY z 2 b", "ZSCORE z c"}, 3, []string{"a", "b", "c"}},
		{"a run ends at another command", "", []string{"SADD s a", "SADD s b", "LPUSH s x", "SADD s c"}, 2, []string{"a", "b"}},
		{"a run ends at another key", "", []string{"SADD s a", "SADD s b", "SADD t c"}, 2, []string{"a", "b"}},
		{"a member missing", "", []string{"SADD s a", "SADD s"}, 1, nil},
		{"a full window", "", many, 32, manyMembers},
		{"the request about to run heads it", "GET z", []string{"GET a", "GET b"}, 3, nil},
		{"and starts a run", "HSET h f0 v", []string{"HGET h f1", "GET b"}, 2, []string{"f0", "f1"}},
		{"or ends it", "GET a", []string{"GET a", "GET b"}, 1, nil},
		{"a lone request", "SADD s a", nil, 1, nil},
	} {
		rd := resp.NewReader(strings.NewReader(cmds(tc.in...)), resp.Limits{})
		if err := rd.Fill(); err != nil && len(tc.in) > 0 {
			t.Fatal(err)
		}
		var first [][]byte
		if tc.first != "" {
			for _, a := range strings.Fields(tc.first) {
				first = append(first, []byte(a))
			}
		}
		var w window
		c.scanWindow(rd, first, &w)
		var members []string
		if w.run {
			members = []string{}
			for _, m := range w.members[:w.n] {
				members = append(members, string(m))
			}
		}
		if w.n != tc.n || !reflect.DeepEqual(members, tc.members) {
			t.Errorf("%s: window of %d, members %q; want %d, %q", tc.name, w.n, members, tc.n, tc.members)
		}
	}
}
