package node

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The node's command table must state, for every command it implements, exactly what a
// real Redis 7.0.15 reports: arity, flags, key positions, ACL categories, key specs.
func TestTableMatchesReference(t *testing.T) {
	raw, err := os.ReadFile("../../shared/reference/redis-7.0.15-reference.json")
	if err != nil {
		t.Skipf("reference not found (%v): run from a checkout with shared/ beside it", err)
	}
	var ref struct {
		Command []any `json:"COMMAND"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	byName := map[string][]any{}
	var index func(e []any)
	index = func(e []any) {
		byName[e[0].(string)] = e
		for _, s := range e[9].([]any) {
			index(s.([]any))
		}
	}
	for _, e := range ref.Command {
		index(e.([]any))
	}
	tab := newTable(allDefs())
	checked := 0
	for _, cmd := range tab.order {
		for _, c := range append([]*Command{cmd}, cmd.subsInOrder()...) {
			if c.fn == nil && c.subs != nil {
				continue // a container: only its subcommands are implemented
			}
			e, ok := byName[c.FullName]
			if !ok {
				if extraSpec(c.FullName) == nil {
					t.Errorf("%s: not a Redis 7.0 command", c.FullName)
				}
				continue
			}
			got := []any{c.FullName, float64(c.Arity), strsAny(c.FlagNames), float64(c.FirstKey),
				float64(c.LastKey), float64(c.Step), strsAny(c.Categories), strsAny(c.Tips)}
			if !reflect.DeepEqual(got, e[:8]) {
				t.Errorf("%s:\n  table %v\n  redis %v", c.FullName, got, e[:8])
			}
			if len(c.KeySpecs) != len(e[8].([]any)) {
				t.Errorf("%s: %d key specs, redis has %d", c.FullName, len(c.KeySpecs), len(e[8].([]any)))
			}
			checked++
		}
	}
	t.Logf("%d commands checked against the reference", checked)
}

func strsAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// COMMAND INFO, COMMAND DOCS and COMMAND GETKEYS answer as Redis does for every command
// shoal implements.
func TestCommandDifferential(t *testing.T) {
	var cmds [][]any
	for _, cmd := range newTable(allDefs()).order {
		if cmd.subs == nil {
			cmds = append(cmds, []any{"COMMAND", "INFO", cmd.FullName}, []any{"COMMAND", "DOCS", cmd.FullName})
		}
		// Redis lists subcommands in its hash-table order, which changes from run to run,
		// and shoal may implement only some of them: compare them one by one.
		for _, sc := range cmd.subsInOrder() {
			if extraSpec(sc.FullName) == nil {
				cmds = append(cmds, []any{"COMMAND", "INFO", sc.FullName}, []any{"COMMAND", "DOCS", sc.FullName})
			}
		}
	}
	cmds = append(cmds,
		[]any{"COMMAND", "GETKEYS", "SET", "k", "v"},
		[]any{"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"},
		[]any{"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"},
		[]any{"COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"},
		[]any{"COMMAND", "GETKEYS", "EVAL", "return 1", "0"},
		[]any{"COMMAND", "GETKEYS", "SORT", "l", "BY", "w_*", "LIMIT", "0", "2", "GET", "o_*", "STORE", "dst"},
		[]any{"COMMAND", "GETKEYS", "SORT", "l", "STORE", "d1", "STORE", "d2"},
		[]any{"COMMAND", "GETKEYSANDFLAGS", "SORT", "l", "STORE", "dst"},
		[]any{"COMMAND", "GETKEYS", "SORT", "l", "GET", "store"},
		[]any{"COMMAND", "GETKEYS", "PING"},
		[]any{"COMMAND", "GETKEYS", "NOSUCH"},
		[]any{"COMMAND", "GETKEYS", "GET"},
		[]any{"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"},
		[]any{"COMMAND", "INFO", "nosuch"},
		[]any{"COMMAND", "INFO", "config|get"},
	)
	for _, proto := range []int{2, 3} {
		differential(t, proto, cmds...)
	}
}
