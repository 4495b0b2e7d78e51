package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/acl"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/spec"
)

// ACL state: the users, and the log of denied commands and failed authentications.
// A user is immutable once published; ACL SETUSER publishes a changed copy through the
// user's userRef, so connected clients see the change at their next command, as in
// Redis. Deleting a user disconnects its clients.

// userRef is a named user as clients hold it.
type userRef struct {
	name    string
	p       atomic.Pointer[acl.User]
	deleted atomic.Bool
}

func (r *userRef) get() *acl.User { return r.p.Load() }

type aclState struct {
	reg *acl.Registry

	mu    sync.Mutex // guards users, log
	users map[string]*userRef
	log   []*aclLogEntry
	def   *userRef // the default user

	failures authFailures
}

// authFailures slows password guessing: after authFreeFailures failed AUTHs from one
// host within authFailureWindow, each further failure answers only after a delay that
// doubles up to authMaxDelay. A success from the host clears its count.
type authFailures struct {
	mu    sync.Mutex
	hosts map[string]*authFailure
}

type authFailure struct {
	count int
	last  time.Time
}

const (
	authFreeFailures  = 3
	authFailureWindow = time.Minute
	authMaxDelay      = 2 * time.Second
	authFirstDelay    = 10 * time.Millisecond
	authMaxHosts      = 10000 // bound on the table; the oldest entries go first
)

// fail counts a failure from host at now and returns how long to hold the reply.
func (f *authFailures) fail(host string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hosts == nil {
		f.hosts = map[string]*authFailure{}
	}
	e := f.hosts[host]
	if e == nil || now.Sub(e.last) > authFailureWindow {
		if len(f.hosts) >= authMaxHosts {
			for h, old := range f.hosts {
				if now.Sub(old.last) > authFailureWindow || len(f.hosts) >= authMaxHosts {
					delete(f.hosts, h)
				}
			}
		}
		e = &authFailure{}
		f.hosts[host] = e
	}
	e.count++
	e.last = now
	return authDelay(e.count)
}

// authDelay is the hold after the n-th failure in a row.
func authDelay(n int) time.Duration {
	if n <= authFreeFailures {
		return 0
	}
	shift := min(n-authFreeFailures-1, 20)
	return min(authFirstDelay<<shift, authMaxDelay)
}

func (f *authFailures) reset(host string) {
	f.mu.Lock()
	delete(f.hosts, host)
	f.mu.Unlock()
}

// aclLogEntry is one ACL LOG entry; equal entries within a minute are merged (count).
type aclLogEntry struct {
	count      int64
	reason     string // command, key, channel, auth
	context    string // toplevel, multi, lua
	object     string
	username   string
	created    time.Time
	clientInfo string
}

// initACL builds the users: default (password from requirepass), then the config's
// "user" lines or the aclfile.
func (s *Server) initACL(cfg *conf.Config) error {
	a := &s.acl
	a.reg = acl.NewRegistry(spec.Reference())
	a.users = map[string]*userRef{}
	def := acl.NewUser(a.reg, "default", true)
	for _, r := range []string{"on", "nopass", "~*", "&*", "+@all"} {
		def.SetRule(a.reg, r, true)
	}
	def.Seal()
	a.def = &userRef{name: "default"}
	a.def.p.Store(def)
	a.users["default"] = a.def
	s.applyRequirepass(cfg.Requirepass)
	if len(cfg.Users) > 0 && cfg.Aclfile != "" {
		return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both")
	}
	for _, line := range cfg.Users {
		if err := s.setUser(line[0], line[1:]); err != nil {
			return fmt.Errorf("Error in user declaration '%s': %v", line[0], err)
		}
	}
	if cfg.Aclfile != "" {
		if err := s.loadACLFile(cfg); err != nil && !os.IsNotExist(errors.Unwrap(err)) {
			return err
		}
	}
	return nil
}

// applyRequirepass makes pass the default user's only password ("" = nopass), as
// requirepass does.
func (s *Server) applyRequirepass(pass string) {
	a := &s.acl
	u := a.def.get().Clone()
	if pass == "" {
		u.SetRule(a.reg, "nopass", true)
	} else {
		u.SetRule(a.reg, "resetpass", true)
		u.SetRule(a.reg, ">"+pass, true)
	}
	u.Seal()
	a.def.p.Store(u)
}

// setUser applies rules to the named user, creating it if needed, and publishes it.
func (s *Server) setUser(name string, rules []string) error {
	a := &s.acl
	allChannels := s.config().AclPubsubDefault == "allchannels"
	a.mu.Lock()
	defer a.mu.Unlock()
	ref := a.users[name]
	var u *acl.User
	if ref != nil {
		u = ref.get().Clone()
	} else {
		u = acl.NewUser(a.reg, name, allChannels)
	}
	for _, r := range rules {
		if err := u.SetRule(a.reg, r, allChannels); err != nil {
			return &ruleError{rule: r, err: err}
		}
	}
	u.Seal()
	if ref == nil {
		ref = &userRef{name: name}
		a.users[name] = ref
	}
	ref.p.Store(u)
	return nil
}

// ruleError is an ACL rule that failed, with Redis's wording.
type ruleError struct {
	rule string
	err  error
}

func (e *ruleError) Error() string {
	return "Error in ACL SETUSER modifier '" + e.rule + "': " + e.err.Error()
}

// lookupUser returns the named user, nil if none.
func (s *Server) lookupUser(name string) *userRef {
	a := &s.acl
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[name]
}

// authenticate checks a username (nil: default) and password; on success the client
// runs as that user from now on. A failure is logged (ACL LOG reason "auth").
func (c *Client) authenticate(user, pass []byte) bool {
	name := "default"
	if user != nil {
		name = string(user)
	}
	ref := c.s.lookupUser(name)
	if ref == nil || !ref.get().CheckPassword(string(pass)) {
		c.s.aclLog(c, "auth", "toplevel", "auth", name)
		if d := c.s.acl.failures.fail(c.remoteHost(), time.Now()); d > 0 {
			time.Sleep(d) // only this connection waits; it holds no lock
		}
		return false
	}
	c.s.acl.failures.reset(c.remoteHost())
	c.setUser(ref)
	c.setAuthenticated(true)
	return true
}

// remoteHost is the client's address without the port ("unix" for a Unix socket).
func (c *Client) remoteHost() string {
	if a, ok := c.conn.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return "unix"
}

func (c *Client) setUser(ref *userRef) {
	c.user.Store(ref)
	c.setInfo(func(i *clientInfo) { i.user = ref.name })
}

// defaultAuthenticated reports whether new connections start authenticated: the default
// user is enabled and needs no password.
func (s *Server) defaultAuthenticated() bool {
	u := s.acl.def.get()
	return u.Enabled && u.NoPass
}

// aclCheck applies the client's user's permissions to the command about to run,
// logging and answering a denial. context is toplevel, multi or lua.
func (c *Client) aclCheck(u *acl.User, cmd *Command, context string) bool {
	req := acl.Request{ID: cmd.aclID, Args: c.args}
	cmd.EachKey(c.args, func(i int, ks *spec.KeySpec) {
		req.Keys = append(req.Keys, i)
		req.KeySpecs = append(req.KeySpecs, ks)
	})
	req.Channels, req.Patterns = channelArgs(cmd, c.args)
	d, obj := u.Check(&req)
	switch d {
	case acl.DeniedCommand:
		c.s.aclLog(c, "command", context, cmd.FullName, c.user.Load().name)
		c.reject("NOPERM this user has no permissions to run the '" + cmd.FullName + "' command")
	case acl.DeniedKey:
		c.s.aclLog(c, "key", context, string(c.args[obj]), c.user.Load().name)
		c.reject("NOPERM this user has no permissions to access one of the keys used as arguments")
	case acl.DeniedChannel:
		c.s.aclLog(c, "channel", context, string(c.args[obj]), c.user.Load().name)
		c.reject("NOPERM this user has no permissions to access one of the channels used as arguments")
	default:
		return true
	}
	return false
}

// channelArgs returns the argument indices of the channels a pub/sub command names and
// whether they are patterns.
func channelArgs(cmd *Command, args [][]byte) ([]int, bool) {
	var first, last int
	switch cmd.FullName {
	case "subscribe", "ssubscribe", "psubscribe":
		first, last = 1, len(args)-1
	case "publish", "spublish":
		first, last = 1, 1
	default:
		return nil, false
	}
	idx := make([]int, 0, last-first+1)
	for i := first; i <= last; i++ {
		idx = append(idx, i)
	}
	return idx, cmd.FullName == "psubscribe"
}

// aclLog records a denial or an authentication failure.
func (s *Server) aclLog(c *Client, reason, context, object, username string) {
	a := &s.acl
	now := time.Now()
	info := c.listLine(now)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.log {
		if e.reason == reason && e.context == context && e.object == object && e.username == username &&
			now.Sub(e.created) < time.Minute {
			e.count++
			e.created, e.clientInfo = now, info
			return
		}
	}
	a.log = append([]*aclLogEntry{{count: 1, reason: reason, context: context, object: object,
		username: username, created: now, clientInfo: info}}, a.log...)
	if max := int(s.config().AcllogMaxLen); len(a.log) > max {
		a.log = a.log[:max]
	}
}

// aclFileLines renders every user as ACL SAVE writes them, by name.
func (s *Server) aclFileLines() []string {
	a := &s.acl
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, 0, len(a.users))
	for n := range a.users {
		names = append(names, n)
	}
	slices.Sort(names)
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = a.users[n].get().Describe()
	}
	return lines
}

// loadACLFile replaces the users with those of the aclfile; on any error nothing
// changes.
func (s *Server) loadACLFile(cfg *conf.Config) error {
	path := cfg.Aclfile
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Error loading ACLs, opening file '%s': %w", cfg.Aclfile, err)
	}
	a := &s.acl
	allChannels := cfg.AclPubsubDefault == "allchannels"
	users := map[string]*acl.User{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := splitACLLine(line)
		if len(f) < 2 || f[0] != "user" {
			return fmt.Errorf("/%s:%d should start with user keyword", cfg.Aclfile, n+1)
		}
		if users[f[1]] != nil {
			return fmt.Errorf("%s:%d: Duplicate user '%s' found", cfg.Aclfile, n+1, f[1])
		}
		u := acl.NewUser(a.reg, f[1], allChannels)
		for _, r := range f[2:] {
			if err := u.SetRule(a.reg, r, allChannels); err != nil {
				return fmt.Errorf("%s:%d: %v. ", cfg.Aclfile, n+1, err)
			}
		}
		u.Seal()
		users[f[1]] = u
	}
	a.mu.Lock()
	if users["default"] == nil {
		users["default"] = a.def.get()
	}
	for name, ref := range a.users {
		if users[name] == nil {
			ref.deleted.Store(true)
			delete(a.users, name)
		}
	}
	for name, u := range users {
		ref := a.users[name]
		if ref == nil {
			ref = &userRef{name: name}
			a.users[name] = ref
		}
		ref.p.Store(u)
	}
	a.mu.Unlock()
	s.killDeletedUsers()
	return nil
}

// splitACLLine splits a user line into rules, keeping "( … )" selectors whole.
func splitACLLine(line string) []string {
	var out []string
	f := strings.Fields(line)
	for i := 0; i < len(f); i++ {
		if strings.HasPrefix(f[i], "(") && !strings.HasSuffix(f[i], ")") {
			j := i
			for j+1 < len(f) && !strings.HasSuffix(f[j], ")") {
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

// killDeletedUsers disconnects the clients authenticated as deleted users.
func (s *Server) killDeletedUsers() {
	for _, cl := range s.clientsSnapshot() {
		if ref := cl.user.Load(); ref != nil && ref.deleted.Load() {
			cl.killed.Store(true)
			cl.conn.Close()
		}
	}
}
