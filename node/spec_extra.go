package node

import (
	"strings"

	"github.com/shoal-db/shoal/node/spec"
)

// extraSpec returns the facts of the few commands clients send that Redis 7.0 lacks but
// Redis 7.2 added (CLIENT SETINFO is sent by go-redis and redis-py on connect; CLIENT
// NO-TOUCH by tooling; CLUSTER MYSHARDID by cluster clients and tooling), as Redis 7.2
// reports them, and of shoal's own slot-move commands (CLUSTER MIGRATESLOTS,
// GETSLOTMIGRATIONS and CANCELSLOTMIGRATIONS, named as Valkey 9 names them, and the
// internal SYNCSLOTS); nil for anything else.
func extraSpec(fullName string) *spec.Command {
	conn := []string{"@slow", "@connection"}
	flags := []string{"noscript", "loading", "stale"}
	mk := func(name string, arity int) *spec.Command {
		c := &spec.Command{
			Name: name, FullName: "client|" + name, Arity: arity, FlagNames: flags,
			Flags: spec.NoScript | spec.Loading | spec.Stale, Categories: conn,
			Parent: spec.Reference().ByName["client"],
		}
		return c
	}
	switch fullName {
	case "cluster|myshardid":
		return &spec.Command{Name: "myshardid", FullName: fullName, Arity: 2, FlagNames: []string{"loading", "stale"},
			Flags: spec.Loading | spec.Stale, Categories: []string{"@slow"}, Tips: []string{"nondeterministic_output"},
			Parent: spec.Reference().ByName["cluster"],
			Docs: []any{"summary", "Returns the shard ID of a node.", "since", "7.2.0", "group", "cluster",
				"complexity", "O(1)"}}
	case "cluster|syncslots": // shoal's: a slot move's import session (move_import.go)
		return &spec.Command{Name: "syncslots", FullName: fullName, Arity: -4, FlagNames: []string{"admin", "stale"},
			Flags: spec.Admin | spec.Stale, Categories: []string{"@admin", "@slow", "@dangerous"},
			Parent: spec.Reference().ByName["cluster"],
			Docs: []any{"summary", "Opens the import session of a slot move (shoal's own migration; sent by the source node).",
				"since", "7.0.15", "group", "cluster", "complexity", "O(N) where N is the number of keys dropped"}}
	case "cluster|migrateslots", "cluster|getslotmigrations", "cluster|cancelslotmigrations": // Valkey 9's names
		name, _ := strings.CutPrefix(fullName, "cluster|")
		c := &spec.Command{Name: name, FullName: fullName, Arity: -2, FlagNames: []string{"admin", "stale"},
			Flags: spec.Admin | spec.Stale, Categories: []string{"@admin", "@slow", "@dangerous"},
			Parent: spec.Reference().ByName["cluster"],
			Docs: []any{"summary", map[string]string{
				"migrateslots":         "Moves slots, with their keys, to another shard in one hand-off (shoal's own migration).",
				"getslotmigrations":    "Lists the slot moves under way and their progress.",
				"cancelslotmigrations": "Rolls back the slot moves from or to this node's shard.",
			}[name], "since", "7.0.15", "group", "cluster", "complexity", "O(N) where N is the number of slot ranges"}}
		if name == "migrateslots" {
			c.Arity = -6
		}
		return c
	case "cluster|slot-stats": // Valkey 8's
		return &spec.Command{Name: "slot-stats", FullName: fullName, Arity: -4, FlagNames: []string{"stale", "loading"},
			Flags: spec.Stale | spec.Loading, Categories: []string{"@slow"}, Tips: []string{"nondeterministic_output"},
			Parent: spec.Reference().ByName["cluster"],
			Docs: []any{"summary", "Returns per-slot statistics: key count and (shoal's) memory.", "since", "7.0.15",
				"group", "cluster", "complexity", "O(N) where N is the number of keys in the slots"}}
	case "client|setinfo":
		c := mk("setinfo", 4)
		c.Tips = []string{"request_policy:all_nodes", "response_policy:all_succeeded"}
		c.Docs = []any{"summary", "Sets information specific to the client or connection.", "since", "7.2.0",
			"group", "connection", "complexity", "O(1)"}
		return c
	case "client|no-touch":
		c := mk("no-touch", 3)
		c.Docs = []any{"summary", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
			"since", "7.2.0", "group", "connection", "complexity", "O(1)"}
		return c
	}
	return nil
}
