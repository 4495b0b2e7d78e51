package node

import (
	"strings"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/spec"
)

// COMMAND and its subcommands answer from the node's table: only what shoal implements,
// with the facts Redis 7.0 reports for it.

func commandDefs() []def {
	return []def{
		{name: "command", fn: cmdCommand},
		{name: "command|count", fn: cmdCommandCount},
		{name: "command|info", fn: cmdCommandInfo},
		{name: "command|docs", fn: cmdCommandDocs},
		{name: "command|list", fn: cmdCommandList},
		{name: "command|getkeys", fn: cmdCommandGetkeys},
		{name: "command|getkeysandflags", fn: cmdCommandGetkeys},
		{name: "command|help", fn: cmdCommandHelp},
	}
}

func cmdCommand(c *Client) {
	t := c.s.table
	c.w.Array(len(t.order))
	for _, cmd := range t.order {
		writeCommandInfo(c, cmd)
	}
}

func cmdCommandCount(c *Client) { c.w.Int(int64(len(c.s.table.order))) }

// find resolves "get" or "client|list" to an implemented command.
func (t *Table) find(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := t.byName[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.subs[sub]
}

func cmdCommandInfo(c *Client) {
	if len(c.args) == 2 {
		cmdCommand(c)
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, a := range c.args[2:] {
		if cmd := c.s.table.find(string(a)); cmd != nil {
			writeCommandInfo(c, cmd)
		} else {
			c.w.NullArray()
		}
	}
}

// subsInOrder returns cmd's implemented subcommands in the reference's order.
func (cmd *Command) subsInOrder() []*Command {
	var out []*Command
	for _, sc := range cmd.SubOrder {
		if s := cmd.subs[sc.Name]; s != nil {
			out = append(out, s)
		}
	}
	for name, s := range cmd.subs { // extensions the reference lacks
		if cmd.Subs[name] == nil {
			out = append(out, s)
		}
	}
	return out
}

func writeCommandInfo(c *Client, cmd *Command) {
	w := &c.w
	w.Array(10)
	w.BulkString(cmd.FullName)
	w.Int(int64(cmd.Arity))
	w.Set(len(cmd.FlagNames))
	for _, f := range cmd.FlagNames {
		w.Simple(f)
	}
	w.Int(int64(cmd.FirstKey))
	w.Int(int64(cmd.LastKey))
	w.Int(int64(cmd.Step))
	w.Set(len(cmd.Categories))
	for _, cat := range cmd.Categories {
		w.Simple(cat)
	}
	w.Set(len(cmd.Tips))
	for _, tip := range cmd.Tips {
		w.Simple(tip)
	}
	w.Array(len(cmd.KeySpecs))
	for i := range cmd.KeySpecs {
		writeKeySpec(c, &cmd.KeySpecs[i])
	}
	subs := cmd.subsInOrder()
	w.Array(len(subs))
	for _, s := range subs {
		writeCommandInfo(c, s)
	}
}

func writeKeySpec(c *Client, ks *spec.KeySpec) {
	w := &c.w
	n := 3
	if ks.Notes != "" {
		n = 4
	}
	w.Map(n)
	if ks.Notes != "" {
		w.BulkString("notes")
		w.BulkString(ks.Notes)
	}
	w.BulkString("flags")
	w.Set(len(ks.Flags))
	for _, f := range ks.Flags {
		w.Simple(f)
	}
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.BeginSearch)
	w.BulkString("spec")
	switch ks.BeginSearch {
	case "index":
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(ks.Index))
	case "keyword":
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(ks.Keyword)
		w.BulkString("startfrom")
		w.Int(int64(ks.StartFrom))
	default:
		w.Map(0)
	}
	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.FindKeys)
	w.BulkString("spec")
	switch ks.FindKeys {
	case "range":
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(ks.LastKey))
		w.BulkString("keystep")
		w.Int(int64(ks.KeyStep))
		w.BulkString("limit")
		w.Int(int64(ks.Limit))
	case "keynum":
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(ks.KeyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(ks.FirstKey))
		w.BulkString("keystep")
		w.Int(int64(ks.KeyStep))
	default:
		w.Map(0)
	}
}

func cmdCommandDocs(c *Client) {
	var cmds []*Command
	if len(c.args) == 2 {
		cmds = c.s.table.order
	} else {
		for _, a := range c.args[2:] {
			if cmd := c.s.table.find(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.w.Map(len(cmds))
	for _, cmd := range cmds {
		c.w.BulkString(cmd.FullName)
		writeDocs(c, cmd)
	}
}

// writeDocs writes one command's COMMAND DOCS map: the reference's fields, with the
// subcommands narrowed to the implemented ones.
func writeDocs(c *Client, cmd *Command) {
	doc := cmd.Docs
	subs := cmd.subsInOrder()
	n := len(doc) / 2
	hasSubs := false
	for i := 0; i+1 < len(doc); i += 2 {
		if doc[i] == "subcommands" {
			hasSubs = true
		}
	}
	if hasSubs && len(subs) == 0 {
		n--
	}
	if !hasSubs && len(subs) > 0 {
		n++
	}
	c.w.Map(n)
	for i := 0; i+1 < len(doc); i += 2 {
		key := doc[i].(string)
		if key == "subcommands" {
			continue
		}
		c.w.BulkString(key)
		writeDocValue(c, key, doc[i+1])
	}
	if len(subs) > 0 {
		c.w.BulkString("subcommands")
		c.w.Map(len(subs))
		for _, s := range subs {
			c.w.BulkString(s.FullName)
			writeDocs(c, s)
		}
	}
}

// writeDocValue writes one decoded COMMAND DOCS value with the RESP type Redis uses for
// its key: flag lists are sets of simple strings, "arguments" an array of maps, the rest
// strings, integers or arrays.
func writeDocValue(c *Client, key string, v any) {
	switch v := v.(type) {
	case string:
		c.w.BulkString(v)
	case float64:
		c.w.Int(int64(v))
	case []any:
		switch key {
		case "flags", "doc_flags":
			c.w.Set(len(v))
			for _, f := range v {
				c.w.Simple(f.(string))
			}
		case "arguments":
			c.w.Array(len(v))
			for _, arg := range v {
				m := arg.([]any)
				c.w.Map(len(m) / 2)
				for i := 0; i+1 < len(m); i += 2 {
					k := m[i].(string)
					c.w.BulkString(k)
					writeDocValue(c, k, m[i+1])
				}
			}
		default: // history: array of [version, text]
			c.w.Array(len(v))
			for _, e := range v {
				writeDocValue(c, "", e)
			}
		}
	default:
		c.w.Null()
	}
}

func cmdCommandList(c *Client) {
	var filter func(cmd *Command) bool
	if len(c.args) > 2 {
		if len(c.args) != 5 || !c.is(2, "FILTERBY") {
			c.Err(errSyntax)
			return
		}
		val := string(c.args[4])
		switch {
		case c.is(3, "MODULE"):
			filter = func(*Command) bool { return false }
		case c.is(3, "ACLCAT"):
			filter = func(cmd *Command) bool {
				for _, cat := range cmd.Categories {
					if strings.EqualFold(cat[1:], val) {
						return true
					}
				}
				return false
			}
		case c.is(3, "PATTERN"):
			filter = func(cmd *Command) bool { return glob.MatchString(val, cmd.FullName, true) }
		default:
			c.Err(errSyntax)
			return
		}
	}
	var names []string
	for _, cmd := range c.s.table.order {
		for _, x := range append([]*Command{cmd}, cmd.subsInOrder()...) {
			if filter == nil || filter(x) {
				names = append(names, x.FullName)
			}
		}
	}
	c.w.StringArray(names)
}

// cmdCommandGetkeys answers from the Redis 7.0 facts for any command, implemented or
// not, as Redis's getKeysSubcommandImpl does.
func cmdCommandGetkeys(c *Client) {
	withFlags := c.is(1, "GETKEYSANDFLAGS")
	args := c.args[2:]
	cmd := spec.Reference().ByName[strings.ToLower(string(args[0]))]
	if cmd != nil && cmd.Subs != nil && len(args) > 1 {
		cmd = cmd.Subs[strings.ToLower(string(args[1]))]
	}
	switch {
	case cmd == nil:
		c.Err("ERR Invalid command specified")
		return
	case len(cmd.KeySpecs) == 0:
		c.Err("ERR The command has no key arguments")
		return
	case !cmd.ArityOK(len(args)):
		c.Err("ERR Invalid number of arguments specified for command")
		return
	}
	keys, err := cmd.Keys(args, nil)
	if err != nil || len(keys) == 0 {
		if cmd.Has(spec.NoMandatoryKeys) {
			c.w.Array(0)
		} else {
			c.Err("ERR Invalid arguments specified for command")
		}
		return
	}
	c.w.Array(len(keys))
	for _, i := range keys {
		if !withFlags {
			c.w.Bulk(args[i])
			continue
		}
		c.w.Array(2)
		c.w.Bulk(args[i])
		flags := keyFlags(cmd, args, i)
		c.w.Set(len(flags))
		for _, f := range flags {
			c.w.Simple(f)
		}
	}
}

// keyFlags returns the key-spec flags of the first spec that yielded argument i.
func keyFlags(cmd *spec.Command, args [][]byte, i int) []string {
	var flags []string
	found := false
	cmd.EachKey(args, func(j int, ks *spec.KeySpec) {
		if j == i && !found {
			flags, found = ks.Flags, true
		}
	})
	return flags
}

func cmdCommandHelp(c *Client) {
	writeHelp(c, "COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.")
}
