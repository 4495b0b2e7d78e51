package proxy

import (
	"bytes"
	"strconv"
	"strings"
)

// Commands about the whole data set go to every primary, their replies merged: DBSIZE
// summed, KEYS concatenated; FLUSHALL, FLUSHDB, SCRIPT LOAD|FLUSH, FUNCTION
// LOAD|FLUSH|DELETE|RESTORE and CONFIG SET|RESETSTAT|REWRITE sent to each (the first
// error, else the first reply). ACL SETUSER and DELUSER go to every node, replicas
// too (ACL rules are each node's own, as in Redis Cluster, and replicas serve reads).
// Keyless commands not listed go to one primary.

// fanoutKind is how the replies of a command sent to every primary merge ("sum",
// "concat", "first"), or "" for a command that goes to one node.
func fanoutKind(name string, args [][]byte) string {
	switch name {
	case "dbsize":
		return "sum"
	case "keys":
		return "concat"
	case "flushall", "flushdb":
		return "first"
	case "script", "function":
		if len(args) > 1 {
			switch strings.ToLower(string(args[1])) {
			case "load", "flush", "delete", "restore":
				return "first"
			}
		}
	case "config":
		if len(args) > 1 {
			switch strings.ToLower(string(args[1])) {
			case "set", "resetstat", "rewrite":
				return "first"
			}
		}
	}
	return ""
}

// part is one request of several sent at once: to the owner of slot (addr ""), or
// to the node at addr.
type part struct {
	slot int
	addr string
	raw  []byte
}

// gather sends the parts on the session's links at once and returns their replies in
// order. A part for a slot that is redirected, or could not be sent, is sent again
// by exchange; one for an address answers CLUSTERDOWN when the node cannot be reached.
func (s *session) gather(parts []part) [][]byte {
	calls := make([]*call, len(parts))
	for i, pt := range parts {
		c := s.newCall(pt.slot, pt.raw)
		addr := pt.addr
		if addr == "" {
			addr = s.p.addrFor(pt.slot)
		}
		s.dispatch(addr, c)
		calls[i] = c
	}
	s.wt.wait()
	out := make([][]byte, len(parts))
	for i, c := range calls {
		switch {
		case parts[i].addr == "":
			out[i] = append([]byte(nil), s.finish(c)...)
		case c.err != nil:
			out[i] = []byte("-CLUSTERDOWN The cluster is down\r\n")
		default:
			out[i] = append([]byte(nil), c.reply...)
		}
		s.release(c)
	}
	return out
}

// fanout sends a command to every primary; kind says how the replies merge.
func (s *session) fanout(kind string, raw []byte) { s.fanoutTo(kind, raw, s.p.primaries()) }

// fanoutTo sends a command to each node of ps; kind says how the replies merge.
func (s *session) fanoutTo(kind string, raw []byte, ps []string) {
	if len(ps) == 0 {
		s.fail("CLUSTERDOWN Hash slot not served")
		return
	}
	parts := make([]part, len(ps))
	for i, addr := range ps {
		parts[i] = part{slot: -1, addr: addr, raw: raw}
	}
	var sum int64
	var elems [][]byte
	replies := s.gather(parts)
	for _, reply := range replies {
		if len(reply) == 0 || reply[0] == '-' {
			s.w.Raw(reply)
			return
		}
		switch kind {
		case "sum":
			n, err := strconv.ParseInt(string(bytes.TrimRight(reply[1:], "\r\n")), 10, 64)
			if reply[0] != ':' || err != nil {
				s.fail("ERR unexpected reply from a node")
				return
			}
			sum += n
		case "concat":
			es, ok := elements(reply)
			if !ok {
				s.fail("ERR unexpected reply from a node")
				return
			}
			elems = append(elems, es...)
		}
	}
	switch kind {
	case "sum":
		s.w.Int(sum)
	case "concat":
		s.w.Array(len(elems))
		for _, e := range elems {
			s.w.Raw(e)
		}
	default:
		s.w.Raw(replies[0])
	}
}
