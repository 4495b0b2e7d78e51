package node

import (
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/storage"
)

func connectionDefs() []def {
	return []def{
		{name: "ping", fn: cmdPing},
		{name: "echo", fn: cmdEcho},
		{name: "quit", fn: cmdQuit, txControl: true},
		{name: "select", fn: cmdSelect},
		{name: "auth", fn: cmdAuth},
		{name: "hello", fn: cmdHello},
		{name: "reset", fn: cmdReset, txControl: true},
		{name: "client|id", fn: cmdClientID},
		{name: "client|setname", fn: cmdClientSetname},
		{name: "client|getname", fn: cmdClientGetname},
		{name: "client|list", fn: cmdClientList},
		{name: "client|info", fn: cmdClientInfo},
		{name: "client|kill", fn: cmdClientKill},
		{name: "client|unblock", fn: cmdClientUnblock, lock: lockNone},
		{name: "client|setinfo", fn: cmdClientSetinfo},
		{name: "client|no-evict", fn: cmdClientNoEvict},
		{name: "client|no-touch", fn: cmdClientNoTouch},
		{name: "client|help", fn: cmdClientHelp},
		{name: "monitor", fn: cmdMonitor},
		{name: "client|pause", fn: cmdClientPause, lock: lockNone},
		{name: "client|tracking", fn: cmdClientTracking, lock: lockNone},
		{name: "client|caching", fn: cmdClientCaching, lock: lockNone},
		{name: "client|getredir", fn: cmdClientGetredir, lock: lockNone},
		{name: "client|trackinginfo", fn: cmdClientTrackinginfo, lock: lockNone},
		{name: "client|unpause", fn: cmdClientUnpause, lock: lockNone},
	}
}

func cmdPing(c *Client) {
	if len(c.args) > 2 {
		c.Err(wrongArgs("ping"))
		return
	}
	if c.subscribed() && !c.w.RESP3() {
		// RESP2 subscribed mode: PING answers in the shape of a message.
		c.w.Array(2)
		c.w.BulkString("pong")
		if len(c.args) == 2 {
			c.w.Bulk(c.args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	if len(c.args) == 2 {
		c.w.Bulk(c.args[1])
		return
	}
	c.w.Simple("PONG")
}

// setProto switches the protocol the client is answered in (HELLO, RESET).
func (c *Client) setProto(p int) {
	c.w.Proto = p
	c.proto.Store(int32(p))
	c.setInfo(func(i *clientInfo) { i.proto = p })
}

func cmdEcho(c *Client) { c.w.Bulk(c.args[1]) }

func cmdQuit(c *Client) {
	c.OK()
	c.closeAfter = true
}

func cmdSelect(c *Client) {
	db, ok := c.dbIndexArg(1, "")
	if !ok {
		return
	}
	if c.s.cluster.enabled && db.ID() != 0 {
		c.Err("ERR SELECT is not allowed in cluster mode")
		return
	}
	c.selectDB(db.ID())
	c.OK()
}

func (c *Client) selectDB(n int) {
	c.db = c.s.eng.DB(n)
	if c.primary {
		c.db = c.db.Obeying()
	}
	c.setInfo(func(i *clientInfo) { i.dbIndex = n })
}

func (c *Client) setAuthenticated(ok bool) {
	c.authenticated = ok
	c.rd.SetUnauthenticated(!ok)
}

func cmdAuth(c *Client) {
	var user, pass []byte
	switch len(c.args) {
	case 2:
		pass = c.args[1]
		if c.s.acl.def.get().NoPass {
			c.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	case 3:
		user, pass = c.args[1], c.args[2]
	default:
		c.Err(errSyntax)
		return
	}
	if !c.authenticate(user, pass) {
		c.Err(errInvalidPass)
		return
	}
	c.OK()
}

func cmdHello(c *Client) {
	proto := c.w.Proto
	i := 1
	if len(c.args) > 1 {
		n, ok := strconvInt(c.args[1])
		if !ok {
			c.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if n < 2 || n > 3 {
			c.Err("NOPROTO unsupported protocol version")
			return
		}
		proto = int(n)
		i = 2
	}
	var user, pass, name []byte
	for ; i < len(c.args); i++ {
		more := len(c.args) - i - 1
		switch {
		case c.is(i, "AUTH") && more >= 2:
			user, pass = c.args[i+1], c.args[i+2]
			i += 2
		case c.is(i, "SETNAME") && more >= 1:
			name = c.args[i+1]
			if !validClientName(name) {
				c.Err("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			i++
		default:
			c.Err("ERR Syntax error in HELLO option '" + string(c.args[i]) + "'")
			return
		}
	}
	if user != nil {
		if !c.authenticate(user, pass) {
			c.Err(errInvalidPass)
			return
		}
	}
	if !c.authenticated {
		c.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		c.setInfo(func(i *clientInfo) { i.name = string(name) })
	}
	c.setProto(proto)
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.Array(0)
}

func strconvInt(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func cmdReset(c *Client) {
	c.endMulti()
	c.unsubscribeAll()
	c.stopTracking()
	c.selectDB(0)
	c.setProto(2)
	c.noEvict, c.noTouch = false, false
	c.setUser(c.s.acl.def)
	c.setAuthenticated(c.s.defaultAuthenticated())
	c.setInfo(func(i *clientInfo) { i.name = "" })
	c.w.Simple("RESET")
}

func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdClientID(c *Client) { c.w.Int(c.id) }

func cmdClientSetname(c *Client) {
	name := c.args[2]
	if !validClientName(name) {
		c.Err("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.setInfo(func(i *clientInfo) { i.name = string(name) })
	c.OK()
}

func cmdClientGetname(c *Client) {
	if name := c.getInfo().name; name != "" {
		c.w.BulkString(name)
		return
	}
	c.w.Null()
}

func cmdClientSetinfo(c *Client) {
	val := string(c.args[3])
	for _, ch := range []byte(val) {
		if ch < '!' || ch > '~' {
			c.Err("ERR " + strings.ToUpper(string(c.args[2])) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	switch {
	case c.is(2, "LIB-NAME"):
		c.setInfo(func(i *clientInfo) { i.libName = val })
	case c.is(2, "LIB-VER"):
		c.setInfo(func(i *clientInfo) { i.libVer = val })
	default:
		c.Err("ERR Unrecognized option '" + string(c.args[2]) + "'")
		return
	}
	c.OK()
}

func onOffArg(c *Client, i int) (bool, bool) {
	switch {
	case c.is(i, "ON"):
		return true, true
	case c.is(i, "OFF"):
		return false, true
	}
	c.Err(errSyntax)
	return false, false
}

func cmdClientNoEvict(c *Client) {
	if on, ok := onOffArg(c, 2); ok {
		c.noEvict = on
		c.OK()
	}
}

func cmdClientNoTouch(c *Client) {
	if on, ok := onOffArg(c, 2); ok {
		c.noTouch = on
		c.OK()
	}
}

// clientsSnapshot returns the connected clients ordered by id.
func (s *Server) clientsSnapshot() []*Client {
	s.mu.Lock()
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	s.mu.Unlock()
	sortClients(out)
	return out
}

func sortClients(cs []*Client) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].id < cs[j-1].id; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func cmdClientList(c *Client) {
	var ids map[int64]bool
	typ := ""
	for i := 2; i < len(c.args); i++ {
		switch {
		case c.is(i, "TYPE") && i+1 < len(c.args):
			t := strings.ToLower(string(c.args[i+1]))
			if t != "normal" && t != "master" && t != "replica" && t != "slave" && t != "pubsub" {
				c.Err("ERR Unknown client type '" + string(c.args[i+1]) + "'")
				return
			}
			typ = t
			i++
		case c.is(i, "ID") && i+1 < len(c.args):
			ids = map[int64]bool{}
			for i++; i < len(c.args); i++ {
				id, ok := storage.ParseInt(c.args[i])
				if !ok || id <= 0 {
					c.Err("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	now := time.Now()
	var b strings.Builder
	for _, cl := range c.s.clientsSnapshot() {
		if ids != nil && !ids[cl.id] || typ != "" && !cl.isType(typ) {
			continue
		}
		b.WriteString(cl.listLine(now))
		b.WriteByte('\n')
	}
	c.w.Verbatim("txt", b.String())
}

func cmdClientInfo(c *Client) { c.w.Verbatim("txt", c.listLine(time.Now())+"\n") }

func cmdClientKill(c *Client) {
	args := c.args[2:]
	if len(args) == 1 { // old form: CLIENT KILL addr
		for _, cl := range c.s.clientsSnapshot() {
			if cl.getInfo().addr == string(args[0]) {
				c.kill(cl)
				c.OK()
				return
			}
		}
		c.Err("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.Err(errSyntax)
		return
	}
	var (
		id          int64
		typ, user   string
		addr, laddr string
		skipMe      = true
	)
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToUpper(string(args[i])) {
		case "ID":
			n, ok := storage.ParseInt(args[i+1])
			if !ok || n <= 0 {
				c.Err("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "TYPE":
			typ = strings.ToLower(v)
			if typ != "normal" && typ != "master" && typ != "replica" && typ != "slave" && typ != "pubsub" {
				c.Err("ERR Unknown client type '" + v + "'")
				return
			}
		case "USER":
			user = v
		case "ADDR":
			addr = v
		case "LADDR":
			laddr = v
		case "SKIPME":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.Err(errSyntax)
				return
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	killed := 0
	for _, cl := range c.s.clientsSnapshot() {
		info := cl.getInfo()
		switch {
		case id != 0 && cl.id != id,
			typ != "" && !cl.isType(typ),
			user != "" && info.user != user,
			addr != "" && info.addr != addr,
			laddr != "" && info.laddr != laddr,
			skipMe && cl == c:
			continue
		}
		c.kill(cl)
		killed++
	}
	c.w.Int(int64(killed))
}

// cmdClientUnblock is CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: a client waiting in a
// blocking command gets the timeout reply (or the UNBLOCKED error) now; :1 when one
// was, :0 otherwise.
func cmdClientUnblock(c *Client) {
	withError := false
	if len(c.args) == 4 {
		switch {
		case c.is(3, "TIMEOUT"):
		case c.is(3, "ERROR"):
			withError = true
		default:
			c.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := c.intArg(2)
	if !ok {
		return
	}
	if c.s.unblock(id, withError) {
		c.w.Int(1)
	} else {
		c.w.Int(0)
	}
}

// isType reports whether the client is of CLIENT LIST/KILL type typ (lower case).
func (c *Client) isType(typ string) bool {
	switch typ {
	case "normal":
		return !c.subscribed() && !c.isReplica.Load() && !c.primary
	case "pubsub":
		return c.subscribed()
	case "replica", "slave":
		return c.isReplica.Load()
	case "master":
		return c.primary
	}
	return false
}

// kill disconnects cl; a client killing itself gets its reply first.
func (c *Client) kill(cl *Client) {
	if cl == c {
		c.closeAfter = true
		return
	}
	cl.killed.Store(true)
	cl.conn.Close()
	select {
	case cl.waker <- struct{}{}:
	default:
	}
}

func cmdClientHelp(c *Client) {
	writeHelp(c, "CLIENT",
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.")
}
