// Package acl is Redis 7.0's access control model: users with passwords and
// selectors, the ACL rule language that edits them, their descriptions (ACL LIST,
// ACL GETUSER), and the permission check of a command, its keys and its channels. Every
// command fact (names, categories, key flags) comes from the command table (node/spec).
package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/spec"
)

// Registry numbers every command and subcommand of the table and groups them by ACL
// category.
type Registry struct {
	ids  map[string]int // full name ("get", "config|get") → id
	cmds []*spec.Command
	cats map[string][]int // category without '@' → ids
	// Categories in ACL CAT order.
	Categories []string
}

// NewRegistry indexes t.
func NewRegistry(t *spec.Table) *Registry {
	r := &Registry{ids: map[string]int{}, cats: map[string][]int{}}
	add := func(c *spec.Command) {
		id := len(r.cmds)
		r.cmds = append(r.cmds, c)
		r.ids[c.FullName] = id
		for _, cat := range c.Categories {
			name := strings.TrimPrefix(cat, "@")
			r.cats[name] = append(r.cats[name], id)
		}
	}
	for _, c := range t.Order {
		add(c)
		for _, sc := range c.SubOrder {
			add(sc)
		}
	}
	for _, cat := range t.Categories {
		r.Categories = append(r.Categories, strings.TrimPrefix(cat, "@"))
	}
	return r
}

// ID returns the id of a command or subcommand by full name.
func (r *Registry) ID(fullName string) (int, bool) {
	id, ok := r.ids[fullName]
	return id, ok
}

// CategoryCommands returns the full names of the commands and subcommands in category
// (ACL CAT <category>); ok false for an unknown category.
func (r *Registry) CategoryCommands(cat string) ([]string, bool) {
	cat = strings.ToLower(cat)
	if !slices.Contains(r.Categories, cat) {
		return nil, false
	}
	var out []string
	for _, id := range r.cats[cat] {
		out = append(out, r.cmds[id].FullName)
	}
	return out, true
}

// Permission bits of a key pattern.
const (
	Read  = 1
	Write = 2
)

type keyPattern struct {
	pattern string
	flags   int // Read|Write
}

func (k keyPattern) String() string {
	switch k.flags {
	case Read:
		return "%R~" + k.pattern
	case Write:
		return "%W~" + k.pattern
	}
	return "~" + k.pattern
}

// Selector is a set of permissions: commands, key patterns and channel patterns. A user
// has a root selector and any number of additional ones; a command is allowed when one
// selector allows the command together with its keys and channels.
type Selector struct {
	allowed     []uint64 // by command id
	firstArgs   map[int][]string
	rules       []string // the command rules, as ACL GETUSER shows them
	keys        []keyPattern
	allKeys     bool
	channels    []string
	allChannels bool
}

func newSelector(reg *Registry) *Selector {
	return &Selector{allowed: make([]uint64, (len(reg.cmds)+63)/64)}
}

func (s *Selector) set(id int, on bool) {
	if on {
		s.allowed[id/64] |= 1 << (id % 64)
	} else {
		s.allowed[id/64] &^= 1 << (id % 64)
	}
	delete(s.firstArgs, id)
}

func (s *Selector) has(id int) bool { return s.allowed[id/64]&(1<<(id%64)) != 0 }

// User is one ACL user.
type User struct {
	Name      string
	Enabled   bool
	NoPass    bool
	Passwords []string // SHA-256 hex digests, in the order added
	Root      *Selector
	Selectors []*Selector
	// Sanitize is "sanitize-payload" (true), "skip-sanitize-payload" (false) or neither
	// (nil): RESTORE payload checking.
	Sanitize *bool

	unrestricted bool // see Seal
}

// Flags lists the user's flags as ACL GETUSER and ACL LIST name them.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.Enabled {
		f[0] = "on"
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	if u.Sanitize != nil {
		if *u.Sanitize {
			f = append(f, "sanitize-payload")
		} else {
			f = append(f, "skip-sanitize-payload")
		}
	}
	return f
}

// NewUser returns a user as ACL SETUSER creates it: off, no passwords, no keys, no
// commands, and channels per acl-pubsub-default (allChannels).
func NewUser(reg *Registry, name string, allChannels bool) *User {
	u := &User{Name: name, Root: newSelector(reg)}
	u.Root.allChannels = allChannels
	u.Root.rules = []string{"-@all"}
	return u
}

// HashPassword is the digest ACL stores for a password.
func HashPassword(pass string) string {
	h := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(h[:])
}

// CheckPassword reports whether pass opens an enabled user, comparing digests in
// constant time.
func (u *User) CheckPassword(pass string) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	h := HashPassword(pass)
	ok := 0
	for _, p := range u.Passwords {
		ok |= subtle.ConstantTimeCompare([]byte(p), []byte(h))
	}
	return ok == 1
}

// Seal computes what Unrestricted reports; call it once the user's rules are applied,
// before publishing it. A sealed user must not change: copy it (Clone) to edit it.
func (u *User) Seal() {
	s := u.Root
	u.unrestricted = s.allKeys && s.allChannels && len(s.firstArgs) == 0 && len(s.rules) == 1 && s.rules[0] == "+@all"
}

// Unrestricted reports whether the user may run anything on any key and channel (the
// default user's usual state), so permission checks can be skipped.
func (u *User) Unrestricted() bool { return u.unrestricted }

// Clone returns a deep copy to edit.
func (u *User) Clone() *User {
	c := *u
	c.Passwords = slices.Clone(u.Passwords)
	if u.Sanitize != nil {
		v := *u.Sanitize
		c.Sanitize = &v
	}
	c.Root = u.Root.clone()
	c.Selectors = nil
	for _, s := range u.Selectors {
		c.Selectors = append(c.Selectors, s.clone())
	}
	return &c
}

func (s *Selector) clone() *Selector {
	c := *s
	c.allowed = slices.Clone(s.allowed)
	c.rules = slices.Clone(s.rules)
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		c.firstArgs = map[int][]string{}
		for k, v := range s.firstArgs {
			c.firstArgs[k] = slices.Clone(v)
		}
	}
	return &c
}

// ErrSyntax and the other rule errors carry Redis's messages.
var (
	errSyntax       = errors.New("Syntax error")
	errUnknownCmd   = errors.New("Unknown command or category name in ACL")
	errNoPassword   = errors.New("The password you are trying to remove from the user does not exist")
	errBadHash      = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errKeysAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChansAfter   = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errSelectorRule = errors.New("Unmatched parenthesis in acl selector starting at '('.")
)

// SetRule applies one rule to the user (ACL SETUSER). allChannelsDefault is
// acl-pubsub-default (for "reset").
func (u *User) SetRule(reg *Registry, rule string, allChannelsDefault bool) error {
	switch strings.ToLower(rule) {
	case "on":
		u.Enabled = true
		return nil
	case "off":
		u.Enabled = false
		return nil
	case "nopass":
		u.NoPass, u.Passwords = true, nil
		return nil
	case "resetpass":
		u.NoPass, u.Passwords = false, nil
		return nil
	case "clearselectors":
		u.Selectors = nil
		return nil
	case "sanitize-payload", "skip-sanitize-payload":
		v := strings.ToLower(rule) == "sanitize-payload"
		u.Sanitize = &v
		return nil
	case "reset":
		sanitize := true
		u.NoPass, u.Passwords, u.Enabled, u.Selectors, u.Sanitize = false, nil, false, nil, &sanitize
		for _, r := range []string{"resetkeys", "resetchannels", "-@all"} {
			u.Root.apply(reg, r)
		}
		if allChannelsDefault {
			u.Root.apply(reg, "allchannels")
		}
		return nil
	}
	switch {
	case strings.HasPrefix(rule, ">"):
		u.addPassword(HashPassword(rule[1:]))
		return nil
	case strings.HasPrefix(rule, "#"):
		if !validHash(rule[1:]) {
			return errBadHash
		}
		u.addPassword(rule[1:])
		return nil
	case strings.HasPrefix(rule, "<"), strings.HasPrefix(rule, "!"):
		h := rule[1:]
		if rule[0] == '<' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		i := slices.Index(u.Passwords, h)
		if i < 0 {
			return errNoPassword
		}
		u.Passwords = slices.Delete(u.Passwords, i, i+1)
		return nil
	case strings.HasPrefix(rule, "(") && strings.HasSuffix(rule, ")"):
		s := newSelector(reg)
		s.rules = []string{"-@all"}
		for _, r := range strings.Fields(rule[1 : len(rule)-1]) {
			if err := s.apply(reg, r); err != nil {
				return err
			}
		}
		u.Selectors = append(u.Selectors, s)
		return nil
	case strings.HasPrefix(rule, "("):
		return errSelectorRule
	}
	return u.Root.apply(reg, rule)
}

func (u *User) addPassword(h string) {
	u.NoPass = false
	if !slices.Contains(u.Passwords, h) {
		u.Passwords = append(u.Passwords, h)
	}
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// apply applies a selector rule (commands, keys, channels).
func (s *Selector) apply(reg *Registry, rule string) error {
	lower := strings.ToLower(rule)
	switch lower {
	case "allkeys":
		s.keys, s.allKeys = nil, true
		return nil
	case "resetkeys":
		s.keys, s.allKeys = nil, false
		return nil
	case "allchannels":
		s.channels, s.allChannels = nil, true
		return nil
	case "resetchannels":
		s.channels, s.allChannels = nil, false
		return nil
	case "allcommands":
		return s.apply(reg, "+@all")
	case "nocommands":
		return s.apply(reg, "-@all")
	}
	switch {
	case strings.HasPrefix(rule, "~") || strings.HasPrefix(rule, "%"):
		return s.addKeyPattern(rule)
	case strings.HasPrefix(rule, "&"):
		if s.allChannels {
			return errChansAfter
		}
		if rule == "&*" {
			s.channels, s.allChannels = nil, true
			return nil
		}
		if !slices.Contains(s.channels, rule[1:]) {
			s.channels = append(s.channels, rule[1:])
		}
		return nil
	case strings.HasPrefix(rule, "+") || strings.HasPrefix(rule, "-"):
		return s.applyCommandRule(reg, rule[0] == '+', strings.ToLower(rule[1:]))
	}
	return errSyntax
}

func (s *Selector) addKeyPattern(rule string) error {
	flags := Read | Write
	pat := rule[1:]
	if rule[0] == '%' {
		spec, p, ok := strings.Cut(rule[1:], "~")
		if !ok || spec == "" {
			return errSyntax
		}
		flags = 0
		for _, ch := range strings.ToUpper(spec) {
			switch ch {
			case 'R':
				flags |= Read
			case 'W':
				flags |= Write
			default:
				return errSyntax
			}
		}
		pat = p
	}
	if s.allKeys {
		return errKeysAfterAll
	}
	if pat == "*" && flags == Read|Write {
		s.keys, s.allKeys = nil, true
		return nil
	}
	for i, k := range s.keys {
		if k.pattern == pat {
			s.keys[i].flags |= flags
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pat, flags})
	return nil
}

// applyCommandRule is +/-command, +/-@category and +command|subcommand (a subcommand, or
// an allowed first argument).
func (s *Selector) applyCommandRule(reg *Registry, allow bool, name string) error {
	sign := "-"
	if allow {
		sign = "+"
	}
	if cat, ok := strings.CutPrefix(name, "@"); ok {
		ids, known := reg.cats[cat]
		if !known && cat != "all" {
			return errUnknownCmd
		}
		if cat == "all" {
			for i := range s.allowed {
				s.allowed[i] = 0
				if allow {
					s.allowed[i] = ^uint64(0)
				}
			}
			s.firstArgs = nil
			s.rules = []string{sign + "@all"}
			return nil
		}
		for _, id := range ids {
			s.set(id, allow)
		}
		s.updateRules(reg, sign+"@"+cat, "@"+cat)
		return nil
	}
	if id, ok := reg.ids[name]; ok {
		s.set(id, allow)
		if c := reg.cmds[id]; c.Subs != nil {
			for _, sc := range c.SubOrder {
				s.set(reg.ids[sc.FullName], allow)
			}
			// A whole-command rule supersedes earlier rules on its subcommands.
			s.rules = slices.DeleteFunc(s.rules, func(r string) bool { return strings.HasPrefix(r[1:], name+"|") })
		}
		s.updateRules(reg, sign+name, name)
		return nil
	}
	parent, arg, ok := strings.Cut(name, "|")
	pid, pok := reg.ids[parent]
	if !ok || !pok || arg == "" {
		return errUnknownCmd
	}
	if reg.cmds[pid].Subs != nil {
		return errUnknownCmd
	}
	if !allow {
		return errors.New("Allowing first-arg of a subcommand is not supported")
	}
	// First-argument rule (+select|0): allowed only with that first argument.
	if s.has(pid) {
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	if !slices.Contains(s.firstArgs[pid], arg) {
		s.firstArgs[pid] = append(s.firstArgs[pid], arg)
	}
	s.updateRules(reg, "+"+name, name)
	return nil
}

// updateRules records rule in the description: an earlier rule on the same target is
// dropped (the new one overrides it), and when that earlier rule had the opposite sign
// and dropping both still describes the same permissions, the new rule is not added
// either ("-@all +@read -@read" is "-@all"), as Redis 7.0 describes selectors.
func (s *Selector) updateRules(reg *Registry, rule, target string) {
	prev := slices.IndexFunc(s.rules, func(r string) bool { return r[1:] == target })
	if prev >= 0 {
		opposite := s.rules[prev][0] != rule[0]
		s.rules = slices.Delete(s.rules, prev, prev+1)
		if opposite && s.describes(reg, s.rules) {
			return
		}
	}
	s.rules = append(s.rules, rule)
}

// describes reports whether applying rules to an empty selector gives exactly s's
// command permissions.
func (s *Selector) describes(reg *Registry, rules []string) bool {
	t := newSelector(reg)
	for _, r := range rules {
		if err := t.applyCommandRule(reg, r[0] == '+', r[1:]); err != nil {
			return false
		}
	}
	if !slices.Equal(t.allowed, s.allowed) || len(t.firstArgs) != len(s.firstArgs) {
		return false
	}
	for id, args := range s.firstArgs {
		if !slices.Equal(t.firstArgs[id], args) {
			return false
		}
	}
	return true
}

// CommandRules is the selector's command description ("+@all -debug").
func (s *Selector) CommandRules() string { return strings.Join(s.rules, " ") }

// KeyRules is the selector's key description ("~*", "%R~a ~b", "" for none).
func (s *Selector) KeyRules() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// ChannelRules is the selector's channel description ("&*", "&a &b", "" for none).
func (s *Selector) ChannelRules() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, ch := range s.channels {
		parts[i] = "&" + ch
	}
	return strings.Join(parts, " ")
}

// describe is the selector as ACL LIST writes it.
func (s *Selector) describe() string {
	var parts []string
	if k := s.KeyRules(); k != "" {
		parts = append(parts, k)
	}
	if !s.allChannels {
		parts = append(parts, "resetchannels")
	}
	if ch := s.ChannelRules(); ch != "" {
		parts = append(parts, ch)
	}
	parts = append(parts, s.CommandRules())
	return strings.Join(parts, " ")
}

// Describe is the user as ACL LIST and ACL SAVE write it ("user default on nopass ~*
// &* +@all").
func (u *User) Describe() string {
	parts := append([]string{"user", u.Name}, u.Flags()...)
	for _, p := range u.Passwords {
		parts = append(parts, "#"+p)
	}
	parts = append(parts, u.Root.describe())
	for _, s := range u.Selectors {
		parts = append(parts, "("+s.describe()+")")
	}
	return strings.Join(parts, " ")
}

// Rules returns the rules that rebuild the user from NewUser (for ACL SAVE round trips
// and copies).
func (u *User) Rules() []string {
	f := strings.Fields(u.Describe())[2:]
	// Re-join selectors, which Fields split.
	var out []string
	for i := 0; i < len(f); i++ {
		if strings.HasPrefix(f[i], "(") && !strings.HasSuffix(f[i], ")") {
			j := i
			for j < len(f) && !strings.HasSuffix(f[j], ")") {
				j++
			}
			out = append(out, strings.Join(f[i:j+1], " "))
			i = j
			continue
		}
		out = append(out, f[i])
	}
	return out
}

// Denial says why a command was refused.
type Denial int

// Denials, and the reason ACL LOG records.
const (
	Allowed Denial = iota
	DeniedCommand
	DeniedKey
	DeniedChannel
)

// Request is what a permission check needs: the command, its arguments, and where its
// keys and channels are.
type Request struct {
	ID       int             // command id (Registry.ID)
	Cmd      *spec.Command   // for key specs
	Args     [][]byte        // the command's arguments, name first
	Keys     []int           // argument indices of the keys
	KeySpecs []*spec.KeySpec // index-aligned with Keys
	Channels []int           // argument indices of channels
	Patterns bool            // the channels are patterns (PSUBSCRIBE)
}

// Check decides whether the user may run the request. When denied, obj is the argument
// index of the key or channel at fault (-1 for the command).
func (u *User) Check(req *Request) (d Denial, obj int) {
	d, obj = u.Root.check(req)
	if d == Allowed {
		return d, obj
	}
	for _, s := range u.Selectors {
		if sd, sobj := s.check(req); sd == Allowed {
			return sd, sobj
		} else if d == DeniedCommand && sd != DeniedCommand {
			d, obj = sd, sobj
		}
	}
	return d, obj
}

func (s *Selector) check(req *Request) (Denial, int) {
	if !s.has(req.ID) {
		args := s.firstArgs[req.ID]
		if args == nil || len(req.Args) < 2 || !slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, string(req.Args[1])) }) {
			return DeniedCommand, -1
		}
	}
	if !s.allKeys {
		for i, idx := range req.Keys {
			if !s.keyAllowed(req.Args[idx], keyFlags(req.KeySpecs[i])) {
				return DeniedKey, idx
			}
		}
	}
	if !s.allChannels {
		for _, idx := range req.Channels {
			if !s.channelAllowed(string(req.Args[idx]), req.Patterns) {
				return DeniedChannel, idx
			}
		}
	}
	return Allowed, -1
}

// keyFlags maps a key spec's flags to the permissions it needs: access reads;
// insert, delete and update write.
func keyFlags(ks *spec.KeySpec) int {
	f := 0
	for _, fl := range ks.Flags {
		switch strings.ToLower(fl) {
		case "access":
			f |= Read
		case "insert", "delete", "update":
			f |= Write
		}
	}
	return f
}

func (s *Selector) keyAllowed(key []byte, need int) bool {
	for _, k := range s.keys {
		if k.flags&need == need && glob.Match([]byte(k.pattern), key, false) {
			return true
		}
	}
	return false
}

func (s *Selector) channelAllowed(ch string, pattern bool) bool {
	for _, p := range s.channels {
		if pattern && p == ch || !pattern && glob.MatchString(p, ch, false) {
			return true
		}
	}
	return false
}

// CheckKey reports whether any selector of the user allows key with the permissions in
// need (ACL DRYRUN, CLIENT commands).
func (u *User) CheckKey(key []byte, need int) bool {
	for _, s := range append([]*Selector{u.Root}, u.Selectors...) {
		if s.allKeys || s.keyAllowed(key, need) {
			return true
		}
	}
	return false
}
