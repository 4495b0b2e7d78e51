package proxy

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// local answers a command the proxy handles itself (kinds' kLocal); it reports QUIT.
func (s *session) local(name string, args [][]byte, raw []byte) (quit bool) {
	w := &s.w
	switch name {
	case "quit":
		w.OK()
		return true
	case "ping":
		switch {
		case len(args) > 2:
			s.fail("ERR wrong number of arguments for 'ping' command")
		case s.sub != nil && w.Proto == 2: // in subscribed mode, as Redis answers
			w.Array(2)
			w.BulkString("pong")
			if len(args) == 2 {
				w.Bulk(args[1])
			} else {
				w.BulkString("")
			}
		case len(args) == 2:
			w.Bulk(args[1])
		default:
			w.Simple("PONG")
		}
	case "echo":
		if len(args) != 2 {
			s.fail("ERR wrong number of arguments for 'echo' command")
		} else {
			w.Bulk(args[1])
		}
	case "select":
		if len(args) != 2 {
			s.fail("ERR wrong number of arguments for 'select' command")
		} else if string(args[1]) == "0" {
			w.OK()
		} else {
			s.fail("ERR SELECT is not allowed in cluster mode")
		}
	case "readonly", "readwrite", "asking":
		if len(args) != 1 {
			s.fail(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		} else {
			w.OK()
		}
	case "auth":
		s.auth(args)
	case "hello":
		s.hello(args)
	case "acl":
		s.acl(args, raw)
	case "client":
		s.client(args)
	case "reset":
		s.reset()
		w.Simple("RESET")
	case "wait":
		s.wait(args)
	case "scan":
		s.scan(args, raw)
	case "randomkey":
		s.randomKey(args)
	case "info":
		s.info(args)
	}
	return false
}

// auth is AUTH [user] password. With the proxy's own password (requirepass) it is
// checked against it, as the default user; without, it is passed through: a node
// checks it, and the session's connections to the nodes then authenticate as that
// user (so the nodes' ACL rules apply to what it sends).
func (s *session) auth(args [][]byte) {
	if len(args) < 2 || len(args) > 3 {
		s.fail("ERR wrong number of arguments for 'auth' command")
		return
	}
	if err := s.login(args[1:]); err != "" {
		s.fail(err)
		return
	}
	s.w.OK()
}

// login authenticates the session with [user] password (see auth); it returns the
// error to answer, or "".
func (s *session) login(up [][]byte) string {
	if s.p.cfg.RequirePass != "" {
		if !s.checkPass(up) {
			return "WRONGPASS invalid username-password pair or user is disabled."
		}
		s.authed, s.user = true, "default"
		return ""
	}
	cmd := command(append([][]byte{[]byte("AUTH")}, up...))
	addr := s.p.addrFor(-1)
	if addr == "" {
		return "CLUSTERDOWN Hash slot not served"
	}
	conn, err := dialNode(s.p.dialer(), addr, 2, cmd, s.p.cfg.Timeout, false)
	if err != nil {
		var re *replyError
		if errors.As(err, &re) {
			return re.msg
		}
		return "CLUSTERDOWN The cluster is down"
	}
	conn.Close()
	s.user = "default"
	if len(up) == 2 {
		s.user = string(up[0])
	}
	s.cred, s.authed = cmd, true
	// What was dialed as the former user goes.
	s.dropOwn()
	s.sub.close()
	s.sub = nil
	s.track.close()
	s.track = nil
	return ""
}

// acl answers ACL: WHOAMI is the session's user; SETUSER and DELUSER go to every
// primary (a user exists on every node); the rest to one primary.
func (s *session) acl(args [][]byte, raw []byte) {
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(string(args[1]))
	}
	switch {
	case sub == "whoami" && len(args) == 2:
		user := s.user
		if user == "" {
			user = "default"
		}
		s.w.BulkString(user)
	case sub == "setuser" || sub == "deluser":
		s.fanoutTo("first", raw, s.p.everyNode())
	default:
		s.w.Raw(s.exchange(-1, raw))
	}
}

// checkPass reports whether [user] password names the default user and the
// proxy's password.
func (s *session) checkPass(up [][]byte) bool {
	pass := up[len(up)-1]
	if len(up) == 2 && string(up[0]) != "default" {
		return false
	}
	want := s.p.cfg.RequirePass
	return want == "" || subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

// reset is RESET: the transaction, watched keys, subscriptions, name and protocol
// are dropped.
func (s *session) reset() {
	s.tx = nil
	s.unwatch()
	s.sub.close()
	s.sub = nil
	s.track.close()
	s.track = nil
	s.name = ""
	s.authed = s.p.cfg.RequirePass == ""
	if s.cred != nil {
		s.cred, s.user = nil, ""
		s.dropOwn()
	}
	if s.w.Proto != 2 {
		s.dropOwn()
		s.w.Proto = 2
	}
}

// dropOwn closes every own connection of the session.
func (s *session) dropOwn() {
	for addr := range s.own {
		s.drop(addr)
	}
	s.wch = nil
}

// client answers CLIENT SETNAME / GETNAME / ID / SETINFO for the client's own
// connection (the nodes see the proxy's); other subcommands go to a node.
func (s *session) client(args [][]byte) {
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(string(args[1]))
	}
	switch {
	case sub == "setname" && len(args) == 3:
		if strings.ContainsAny(string(args[2]), " \n") {
			s.fail("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		s.name = string(args[2])
		s.w.OK()
	case sub == "getname" && len(args) == 2:
		if s.name == "" {
			s.w.Null()
			return
		}
		s.w.BulkString(s.name)
	case sub == "id" && len(args) == 2:
		s.w.Int(s.id)
	case sub == "setinfo" && len(args) == 4:
		s.w.OK()
	case sub == "tracking":
		s.tracking(args)
	case sub == "caching" && len(args) == 3:
		s.w.OK() // (tracking broadcasts: every change is told)
	case sub == "getredir" && len(args) == 2:
		if s.track != nil {
			s.w.Int(0)
		} else {
			s.w.Int(-1)
		}
	case sub == "trackinginfo" ||
		sub == "reply" && !(len(args) == 3 && strings.EqualFold(string(args[2]), "on")):
		// On a connection the node shares between clients REPLY would unpair its replies.
		s.fail(fmt.Sprintf("ERR 'client|%s' is not supported through shoal proxy", sub))
	case sub == "reply":
		s.w.OK()
	default:
		s.w.Raw(s.exchange(-1, command(args)))
	}
}

// hello answers HELLO [protover [SETNAME name]] as the nodes do, naming the proxy.
// The session's requests then go on links speaking the protocol chosen (replies pass
// through as they are).
func (s *session) hello(args [][]byte) {
	w := &s.w
	proto := w.Proto
	name := s.name
	if len(args) > 1 {
		switch string(args[1]) {
		case "2", "3":
			proto = int(args[1][0] - '0')
		default:
			s.fail("NOPROTO unsupported protocol version")
			return
		}
		authed := s.authed
		for i := 2; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "SETNAME") && i+1 < len(args) {
				i++
				name = string(args[i])
				continue
			}
			if strings.EqualFold(string(args[i]), "AUTH") && i+2 < len(args) {
				if err := s.login(args[i+1 : i+3]); err != "" {
					s.fail(err)
					return
				}
				authed = true
				i += 2
				continue
			}
			s.fail(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
		s.authed = authed
	}
	if !s.authed {
		s.fail("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	s.name = name
	if proto != w.Proto {
		s.dropOwn() // (dialed again in the new protocol)
		s.track.close()
		s.track = nil
		w.Proto = proto
	}
	w.Map(7)
	for _, kv := range [][2]string{{"server", "redis"}, {"version", "7.0.15"}} {
		w.BulkString(kv[0])
		w.BulkString(kv[1])
	}
	w.BulkString("proto")
	w.Int(int64(w.Proto))
	w.BulkString("id")
	w.Int(s.id)
	w.BulkString("mode")
	w.BulkString("proxy")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// wait is WAIT numreplicas timeout: sent to every primary on the session's links
// (a node counts the replicas that acknowledged every write made on the link, the
// session's among them), the answer the smallest count. A link carries nothing else
// while WAIT waits on it, so the timeout is capped at the proxy's command timeout,
// less a second (0, no limit, is capped too).
func (s *session) wait(args [][]byte) {
	if len(args) != 3 {
		s.fail("ERR wrong number of arguments for 'wait' command")
		return
	}
	if _, err := strconv.ParseInt(string(args[1]), 10, 64); err != nil {
		s.fail("ERR value is not an integer or out of range")
		return
	}
	ms, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		s.fail("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		s.fail("ERR timeout is negative")
		return
	}
	if limit := s.p.cfg.Timeout.Milliseconds() - 1000; ms == 0 || ms > limit {
		ms = max(limit, 1)
	}
	raw := command([][]byte{[]byte("WAIT"), args[1], []byte(strconv.FormatInt(ms, 10))})
	var parts []part
	for _, addr := range s.p.primaries() {
		parts = append(parts, part{slot: -1, addr: addr, raw: raw})
	}
	if len(parts) == 0 {
		s.fail("CLUSTERDOWN Hash slot not served")
		return
	}
	least := int64(-1)
	for _, reply := range s.gather(parts) {
		if len(reply) == 0 || reply[0] != ':' {
			s.w.Raw(reply)
			return
		}
		n, _ := strconv.ParseInt(trimReply(reply), 10, 64)
		if least < 0 || n < least {
			least = n
		}
	}
	s.w.Int(least)
}
