package node

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/shoal-db/shoal/node/acl"
	"github.com/shoal-db/shoal/node/spec"
)

// Locking policies of a command (see def.lock).
const (
	lockKeys = iota // the executor locks the stripes of the command's keys (the default)
	lockNone        // the handler locks what it needs itself (blocking commands, SCAN, KEYS)
	lockAll         // the executor locks every stripe (FLUSHALL, SWAPDB, SORT … GET)
)

// def registers one command or subcommand: its full name as COMMAND reports it
// ("get", "client|list") and its handler.
type def struct {
	name string
	fn   func(c *Client)
	lock int
	// txControl: the command runs at once inside MULTI instead of being queued (MULTI,
	// EXEC, DISCARD, WATCH, QUIT, RESET).
	txControl bool
	// member: the argument that names a member of the key's collection (SADD's member,
	// HSET's field, ZADD's member after one score), or 0. A pipeline of such commands on
	// one key has those members prefetched (see prefetchFrom); 2 or 3 (resp.Head).
	member int
}

// Command is one entry of the node's command table: the Redis facts from spec plus the
// handler and per-command statistics (INFO commandstats).
type Command struct {
	*spec.Command
	fn        func(c *Client)
	lock      int
	txControl bool
	member    int // see def.member
	subs      map[string]*Command
	aclID     int // the command's id in the ACL registry

	calls, usec, rejected, failed atomic.Int64
}

// Table is the node's command table: every implemented command by lower-case name.
// Registering a name twice, or one Redis 7.0 does not know, panics.
type Table struct {
	byName map[string]*Command
	fast   map[string]*Command // byName plus the upper-case spellings, for lookup
	order  []*Command          // in the reference's order, for COMMAND
}

// allDefs lists every family's registrations. A family file adds one function here.
func allDefs() [][]def {
	return [][]def{
		connectionDefs(),
		clusterDefs(),
		commandDefs(),
		serverDefs(),
		keyDefs(),
		stringDefs(),
		hashDefs(),
		listDefs(),
		setDefs(),
		zsetDefs(),
		multiDefs(),
		pubsubDefs(),
		streamDefs(),
		scriptDefs(),
		aclDefs(),
		hllDefs(),
		geoDefs(),
		dumpDefs(),
	}
}

func newTable(families [][]def) *Table {
	ref := spec.Reference()
	t := &Table{byName: map[string]*Command{}}
	for _, defs := range families {
		for _, d := range defs {
			t.register(ref, d)
		}
	}
	for _, sc := range ref.Order {
		if c := t.byName[sc.Name]; c != nil {
			t.order = append(t.order, c)
		}
	}
	t.fast = make(map[string]*Command, 2*len(t.byName))
	for name, c := range t.byName {
		t.fast[name] = c
		t.fast[strings.ToUpper(name)] = c
	}
	return t
}

func (t *Table) register(ref *spec.Table, d def) {
	parent, sub, isSub := strings.Cut(d.name, "|")
	sc := ref.ByName[parent]
	if sc == nil {
		sc = extraSpec(parent)
	}
	if sc == nil {
		panic(fmt.Sprintf("node: command %q is not a Redis 7.0 command", d.name))
	}
	if !isSub {
		if _, dup := t.byName[parent]; dup && t.byName[parent].fn != nil {
			panic(fmt.Sprintf("node: command %q registered twice", d.name))
		}
		c := t.container(sc)
		c.fn, c.lock, c.txControl, c.member = d.fn, d.lock, d.txControl, d.member
		return
	}
	ssc := sc.Subs[sub]
	if ssc == nil {
		ssc = extraSpec(d.name)
	}
	if ssc == nil {
		panic(fmt.Sprintf("node: subcommand %q is not a Redis 7.0 command", d.name))
	}
	c := t.container(sc)
	if _, dup := c.subs[sub]; dup {
		panic(fmt.Sprintf("node: command %q registered twice", d.name))
	}
	c.subs[sub] = &Command{Command: ssc, fn: d.fn, lock: d.lock, txControl: d.txControl}
}

// container returns (creating) the entry for a top-level command.
func (t *Table) container(sc *spec.Command) *Command {
	c := t.byName[sc.Name]
	if c == nil {
		c = &Command{Command: sc}
		if len(sc.Subs) > 0 {
			c.subs = map[string]*Command{}
		}
		t.byName[sc.Name] = c
	}
	return c
}

// lookup finds a top-level command by name, case-insensitively, without allocating:
// one map probe for an all-lower or all-upper name, a second for mixed case.
func (t *Table) lookup(name []byte) *Command {
	if c := t.fast[string(name)]; c != nil {
		return c
	}
	if len(name) > 32 {
		return nil // no command name is that long
	}
	var buf [32]byte
	return t.byName[string(lowerInto(buf[:0], name))]
}

func lowerInto(dst, src []byte) []byte {
	dst = dst[:0]
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// subcommand finds c's subcommand by name, case-insensitively.
func (c *Command) subcommand(name []byte) *Command {
	if s := c.subs[string(name)]; s != nil {
		return s
	}
	if len(name) > 32 {
		return nil
	}
	var buf [32]byte
	return c.subs[string(lowerInto(buf[:0], name))]
}

// assignACLIDs gives every command and subcommand its ACL registry id.
func (t *Table) assignACLIDs(reg *acl.Registry) {
	for _, c := range t.byName {
		c.aclID, _ = reg.ID(c.FullName)
		for _, sc := range c.subs {
			sc.aclID, _ = reg.ID(sc.FullName)
		}
	}
}

// rename applies rename-command: the command old is known as name from now on, or not
// at all when name is empty. Call it before serving.
func (t *Table) rename(old, name string) error {
	old, name = strings.ToLower(old), strings.ToLower(name)
	c := t.byName[old]
	if c == nil {
		return fmt.Errorf("No such command in rename-command")
	}
	if name != "" && t.byName[name] != nil {
		return fmt.Errorf("Target command name already exists")
	}
	delete(t.byName, old)
	delete(t.fast, old)
	delete(t.fast, strings.ToUpper(old))
	if name != "" {
		t.byName[name] = c
		t.fast[name] = c
		t.fast[strings.ToUpper(name)] = c
	}
	return nil
}
