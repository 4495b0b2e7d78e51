package node

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node/acl"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/storage"
)

func aclDefs() []def {
	return []def{
		{name: "acl|setuser", fn: cmdACLSetuser},
		{name: "acl|getuser", fn: cmdACLGetuser},
		{name: "acl|deluser", fn: cmdACLDeluser},
		{name: "acl|list", fn: cmdACLList},
		{name: "acl|users", fn: cmdACLUsers},
		{name: "acl|whoami", fn: cmdACLWhoami},
		{name: "acl|cat", fn: cmdACLCat},
		{name: "acl|log", fn: cmdACLLog},
		{name: "acl|save", fn: cmdACLSave},
		{name: "acl|load", fn: cmdACLLoad},
		{name: "acl|genpass", fn: cmdACLGenpass},
		{name: "acl|dryrun", fn: cmdACLDryrun},
		{name: "acl|help", fn: cmdACLHelp},
	}
}

func cmdACLSetuser(c *Client) {
	rules := make([]string, 0, len(c.args)-3)
	for _, a := range c.args[3:] {
		rules = append(rules, string(a))
	}
	if err := c.s.setUser(string(c.args[2]), rules); err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.OK()
}

func cmdACLGetuser(c *Client) {
	ref := c.s.lookupUser(string(c.args[2]))
	if ref == nil {
		c.w.NullArray()
		return
	}
	u := ref.get()
	c.w.Map(6)
	c.w.BulkString("flags")
	flags := u.Flags()
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("passwords")
	c.w.StringArray(u.Passwords)
	c.replySelector(u.Root)
	c.w.BulkString("selectors")
	c.w.Array(len(u.Selectors))
	for _, s := range u.Selectors {
		c.w.Map(3)
		c.replySelector(s)
	}
}

// replySelector writes a selector's commands, keys and channels fields.
func (c *Client) replySelector(s *acl.Selector) {
	c.w.BulkString("commands")
	c.w.BulkString(s.CommandRules())
	c.w.BulkString("keys")
	c.w.BulkString(s.KeyRules())
	c.w.BulkString("channels")
	c.w.BulkString(s.ChannelRules())
}

func cmdACLDeluser(c *Client) {
	a := &c.s.acl
	n := 0
	for _, name := range c.args[2:] {
		if string(name) == "default" {
			c.Err("ERR The 'default' user cannot be removed")
			return
		}
	}
	a.mu.Lock()
	for _, name := range c.args[2:] {
		if ref := a.users[string(name)]; ref != nil {
			ref.deleted.Store(true)
			delete(a.users, string(name))
			n++
		}
	}
	a.mu.Unlock()
	c.s.killDeletedUsers()
	c.w.Int(int64(n))
}

func cmdACLList(c *Client) { c.w.StringArray(c.s.aclFileLines()) }

func cmdACLUsers(c *Client) {
	a := &c.s.acl
	a.mu.Lock()
	names := make([]string, 0, len(a.users))
	for n := range a.users {
		names = append(names, n)
	}
	a.mu.Unlock()
	slices.Sort(names)
	c.w.StringArray(names)
}

func cmdACLWhoami(c *Client) { c.w.BulkString(c.user.Load().name) }

func cmdACLCat(c *Client) {
	reg := c.s.acl.reg
	if len(c.args) == 2 {
		c.w.StringArray(reg.Categories)
		return
	}
	if len(c.args) > 3 {
		c.Err(wrongArgs("acl|cat"))
		return
	}
	names, ok := reg.CategoryCommands(string(c.args[2]))
	if !ok {
		c.Err("ERR Unknown category '" + string(c.args[2]) + "'")
		return
	}
	c.w.StringArray(names)
}

func cmdACLLog(c *Client) {
	a := &c.s.acl
	count := 10
	if len(c.args) == 3 {
		if c.is(2, "RESET") {
			a.mu.Lock()
			a.log = nil
			a.mu.Unlock()
			c.OK()
			return
		}
		n, ok := storage.ParseInt(c.args[2])
		if !ok || n < 0 {
			c.Err("ERR value is out of range, must be positive")
			return
		}
		count = int(n)
	} else if len(c.args) > 3 {
		c.Err(wrongArgs("acl|log"))
		return
	}
	a.mu.Lock()
	entries := slices.Clone(a.log[:min(count, len(a.log))])
	a.mu.Unlock()
	now := time.Now()
	c.w.Array(len(entries))
	for _, e := range entries {
		c.w.Map(7)
		c.w.BulkString("count")
		c.w.Int(e.count)
		c.w.BulkString("reason")
		c.w.BulkString(e.reason)
		c.w.BulkString("context")
		c.w.BulkString(e.context)
		c.w.BulkString("object")
		c.w.BulkString(e.object)
		c.w.BulkString("username")
		c.w.BulkString(e.username)
		c.w.BulkString("age-seconds")
		c.w.Double(float64(now.Sub(e.created).Milliseconds()) / 1000)
		c.w.BulkString("client-info")
		c.w.BulkString(e.clientInfo)
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func cmdACLSave(c *Client) {
	cfg := c.s.config()
	if cfg.Aclfile == "" {
		c.Err(errNoACLFile)
		return
	}
	path := cfg.Aclfile
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	data := strings.Join(c.s.aclFileLines(), "\n") + "\n"
	tmp := path + ".tmp-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		c.Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		c.Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.OK()
}

func cmdACLLoad(c *Client) {
	cfg := c.s.config()
	if cfg.Aclfile == "" {
		c.Err(errNoACLFile)
		return
	}
	if err := c.s.loadACLFile(cfg); err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.OK()
}

func cmdACLGenpass(c *Client) {
	bits := int64(256)
	if len(c.args) == 3 {
		n, ok := storage.ParseInt(c.args[2])
		if !ok || n <= 0 || n > 4096 {
			c.Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	} else if len(c.args) > 3 {
		c.Err(wrongArgs("acl|genpass"))
		return
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.w.BulkString(hex.EncodeToString(buf)[:chars])
}

// ACL DRYRUN username command [arg …]
func cmdACLDryrun(c *Client) {
	ref := c.s.lookupUser(string(c.args[2]))
	if ref == nil {
		c.Err("ERR User '" + string(c.args[2]) + "' not found")
		return
	}
	args := c.args[3:]
	cmd := c.s.table.lookup(args[0])
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		if sub := cmd.subcommand(args[1]); sub != nil {
			cmd = sub
		}
	}
	if cmd == nil {
		c.Err("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if !cmd.ArityOK(len(args)) {
		c.Err(wrongArgs(cmd.FullName))
		return
	}
	req := acl.Request{ID: cmd.aclID, Args: args}
	cmd.EachKey(args, func(i int, ks *spec.KeySpec) {
		req.Keys = append(req.Keys, i)
		req.KeySpecs = append(req.KeySpecs, ks)
	})
	req.Channels, req.Patterns = channelArgs(cmd, args)
	switch d, obj := ref.get().Check(&req); d {
	case acl.DeniedCommand:
		c.w.BulkString("This user has no permissions to run the '" + cmd.FullName + "' command")
	case acl.DeniedKey:
		c.w.BulkString("This user has no permissions to access the '" + string(args[obj]) + "' key")
	case acl.DeniedChannel:
		c.w.BulkString("This user has no permissions to access the '" + string(args[obj]) + "' channel")
	default:
		c.OK()
	}
}

func cmdACLHelp(c *Client) {
	writeHelp(c, "ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.")
}
