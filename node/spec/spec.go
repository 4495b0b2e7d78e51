package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:embed redis-7.0.json
var referenceJSON []byte

// Flag is a bit set of command flags.
type Flag uint32

// Command flags, as COMMAND reports them.
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Fast
	NoAuth
	MayReplicate
	NoMandatoryKeys
	NoAsyncLoading
	NoMulti
	MovableKeys
	AllowBusy
	Asking
)

var flagNames = map[string]Flag{
	"write": Write, "readonly": ReadOnly, "denyoom": DenyOOM, "admin": Admin,
	"pubsub": PubSub, "noscript": NoScript, "blocking": Blocking, "loading": Loading,
	"stale": Stale, "skip_monitor": SkipMonitor, "skip_slowlog": SkipSlowlog,
	"fast": Fast, "no_auth": NoAuth, "may_replicate": MayReplicate,
	"no_mandatory_keys": NoMandatoryKeys, "no_async_loading": NoAsyncLoading,
	"no_multi": NoMulti, "movablekeys": MovableKeys, "allow_busy": AllowBusy,
	"asking": Asking,
}

// KeySpec locates keys in a command's arguments (Redis 7 key specs).
type KeySpec struct {
	Notes string
	Flags []string // RO, RW, OW, RM, access, update, insert, delete, …
	// BeginSearch: "index" (Index), "keyword" (Keyword searched from StartFrom; negative
	// counts from the end), or "unknown".
	BeginSearch string
	Index       int
	Keyword     string
	StartFrom   int
	// FindKeys: "range" (LastKey relative to the begin, KeyStep, Limit), "keynum"
	// (KeyNumIdx, FirstKey, KeyStep), or "unknown".
	FindKeys  string
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// Command is one command's or subcommand's facts.
type Command struct {
	Name       string // lower case; for a subcommand the part after '|'
	FullName   string // "get", "client|list"
	Arity      int    // Redis convention: n exact, -n at least n (counting the name)
	Flags      Flag
	FlagNames  []string
	FirstKey   int
	LastKey    int
	Step       int
	Categories []string // "@read", …
	Tips       []string
	KeySpecs   []KeySpec
	Subs       map[string]*Command // by lower-case name
	SubOrder   []*Command          // as COMMAND lists them
	Parent     *Command
	Docs       []any // COMMAND DOCS reply for this command, decoded (maps as flat lists)
}

// Has reports whether c has every flag in f.
func (c *Command) Has(f Flag) bool { return c.Flags&f == f }

// Table is every command Redis 7.0 knows, by lower-case name.
type Table struct {
	ByName     map[string]*Command
	Order      []*Command // as Redis 7.0's COMMAND lists them
	Categories []string   // ACL CAT
}

// Reference returns the Redis 7.0.15 table, parsed once.
var Reference = sync.OnceValue(func() *Table {
	t, err := parse(referenceJSON)
	if err != nil {
		panic("spec: embedded reference: " + err.Error())
	}
	return t
})

func parse(data []byte) (*Table, error) {
	var raw struct {
		Command []any `json:"command"`
		Docs    []any `json:"docs"`
		ACL     []any `json:"acl_categories"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	t := &Table{ByName: map[string]*Command{}}
	for _, c := range raw.ACL {
		t.Categories = append(t.Categories, c.(string))
	}
	for _, e := range raw.Command {
		c, err := parseCommand(e.([]any), nil)
		if err != nil {
			return nil, err
		}
		t.ByName[c.Name] = c
		t.Order = append(t.Order, c)
	}
	for i := 0; i+1 < len(raw.Docs); i += 2 {
		name := raw.Docs[i].(string)
		doc := raw.Docs[i+1].([]any)
		c := t.ByName[name]
		if c == nil {
			return nil, fmt.Errorf("docs for unknown command %q", name)
		}
		attachDocs(c, doc)
	}
	return t, nil
}

func attachDocs(c *Command, doc []any) {
	c.Docs = doc
	if subs, ok := mapGet(doc, "subcommands").([]any); ok {
		for i := 0; i+1 < len(subs); i += 2 {
			full := subs[i].(string)
			if sc := c.Subs[full[strings.IndexByte(full, '|')+1:]]; sc != nil {
				attachDocs(sc, subs[i+1].([]any))
			}
		}
	}
}

// mapGet returns the value after key in a flat key/value list.
func mapGet(m []any, key string) any {
	for i := 0; i+1 < len(m); i += 2 {
		if m[i] == key {
			return m[i+1]
		}
	}
	return nil
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, s := range l {
		out = append(out, s.(string))
	}
	return out
}

func parseCommand(e []any, parent *Command) (*Command, error) {
	if len(e) != 10 {
		return nil, fmt.Errorf("command entry of %d fields", len(e))
	}
	c := &Command{
		FullName:   e[0].(string),
		Arity:      num(e[1]),
		FlagNames:  strs(e[2]),
		FirstKey:   num(e[3]),
		LastKey:    num(e[4]),
		Step:       num(e[5]),
		Categories: strs(e[6]),
		Tips:       strs(e[7]),
		Parent:     parent,
	}
	c.Name = c.FullName[strings.IndexByte(c.FullName, '|')+1:]
	for _, f := range c.FlagNames {
		bit, ok := flagNames[f]
		if !ok {
			return nil, fmt.Errorf("%s: unknown flag %q", c.FullName, f)
		}
		c.Flags |= bit
	}
	for _, ks := range e[8].([]any) {
		c.KeySpecs = append(c.KeySpecs, parseKeySpec(ks.([]any)))
	}
	for _, s := range e[9].([]any) {
		sc, err := parseCommand(s.([]any), c)
		if err != nil {
			return nil, err
		}
		if c.Subs == nil {
			c.Subs = map[string]*Command{}
		}
		c.Subs[sc.Name] = sc
		c.SubOrder = append(c.SubOrder, sc)
	}
	return c, nil
}

func parseKeySpec(m []any) KeySpec {
	ks := KeySpec{Flags: strs(mapGet(m, "flags"))}
	ks.Notes, _ = mapGet(m, "notes").(string)
	bs, _ := mapGet(m, "begin_search").([]any)
	ks.BeginSearch, _ = mapGet(bs, "type").(string)
	bspec, _ := mapGet(bs, "spec").([]any)
	ks.Index = num(mapGet(bspec, "index"))
	ks.Keyword, _ = mapGet(bspec, "keyword").(string)
	ks.StartFrom = num(mapGet(bspec, "startfrom"))
	fk, _ := mapGet(m, "find_keys").([]any)
	ks.FindKeys, _ = mapGet(fk, "type").(string)
	fspec, _ := mapGet(fk, "spec").([]any)
	ks.LastKey = num(mapGet(fspec, "lastkey"))
	ks.KeyStep = num(mapGet(fspec, "keystep"))
	ks.Limit = num(mapGet(fspec, "limit"))
	ks.KeyNumIdx = num(mapGet(fspec, "keynumidx"))
	ks.FirstKey = num(mapGet(fspec, "firstkey"))
	return ks
}

// ArityOK reports whether argc (counting the command name) satisfies c's arity.
func (c *Command) ArityOK(argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}
