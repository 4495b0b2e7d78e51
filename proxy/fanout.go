package proxy

import (
	"bytes"
	"strconv"
)

// Commands about the whole data set go to every primary, their replies merged: DBSIZE
// summed, KEYS concatenated, FLUSHALL, FLUSHDB and SCRIPT LOAD / SCRIPT FLUSH sent to
// each (the first error, else the first reply). Keyless commands not listed go to
// one primary.

// fanouts maps a command (or "command|subcommand") to how its replies merge.
var fanouts = map[string]string{"dbsize": "sum", "keys": "concat", "flushall": "first", "flushdb": "first",
	"script|load": "first", "script|flush": "first"}

// fanout answers a command of fanouts; kind says how the replies merge.
func (s *session) fanout(kind string, raw []byte) {
	ps := s.p.primaries()
	if len(ps) == 0 {
		s.w.Error("CLUSTERDOWN Hash slot not served")
		return
	}
	var sum int64
	var elems [][]byte
	var first []byte
	for _, addr := range ps {
		reply, err := s.roundTrip(addr, raw, false)
		if err != nil {
			s.drop(addr)
			s.w.Error("CLUSTERDOWN The cluster is down")
			return
		}
		if len(reply) == 0 || reply[0] == '-' {
			s.w.Raw(reply)
			return
		}
		switch kind {
		case "sum":
			n, err := strconv.ParseInt(string(bytes.TrimRight(reply[1:], "\r\n")), 10, 64)
			if reply[0] != ':' || err != nil {
				s.w.Error("ERR unexpected reply from a node")
				return
			}
			sum += n
		case "concat":
			es, ok := elements(reply)
			if !ok {
				s.w.Error("ERR unexpected reply from a node")
				return
			}
			elems = append(elems, es...)
		default:
			if first == nil {
				first = reply
			}
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
		s.w.Raw(first)
	}
}
