package proxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
)

// Commands about the whole cluster that the proxy composes from several nodes: SCAN
// (one cursor over every primary), RANDOMKEY and INFO.

// scan is SCAN cursor [MATCH p] [COUNT n] [TYPE t]. A node's cursor holds the slot it
// is in (its low 14 bits), so the proxy sends each call to the primary of the
// cursor's slot; when that node has walked all its slots from there (cursor 0), the
// walk goes on at the first later slot another primary serves, within the same call
// while it has found fewer than COUNT keys (so a small keyspace is walked in one call,
// as on one server). A pattern whose hash tag names one slot walks that slot's
// primary alone.
func (s *session) scan(args [][]byte, raw []byte) {
	if len(args) < 2 {
		s.fail("ERR wrong number of arguments for 'scan' command")
		return
	}
	cursor, ok := resp.ParseCursor(args[1])
	if !ok {
		s.fail("ERR invalid cursor")
		return
	}
	only, count := -1, 10
	for i := 2; i+1 < len(args); i += 2 {
		switch strings.ToLower(string(args[i])) {
		case "match":
			only = slots.PatternSlot(args[i+1])
		case "count":
			if n, err := strconv.Atoi(string(args[i+1])); err == nil && n > 0 {
				count = n
			}
		}
	}
	slot := int(cursor & (slots.Count - 1))
	if cursor == 0 && only >= 0 {
		slot = only
	}
	var keys [][]byte
	for {
		addr := s.p.addrFor(slot)
		reply := s.exchange(slot, raw)
		elems, ok := elements(reply)
		if !ok || len(elems) != 2 {
			s.w.Raw(reply) // an error
			return
		}
		next, err := strconv.ParseUint(trimBulk(elems[0]), 10, 64)
		found, ok := elements(elems[1])
		if err != nil || !ok {
			s.fail("ERR unexpected reply from a node to SCAN")
			return
		}
		keys = append(keys, found...)
		if next == 0 && only < 0 {
			for t := slot + 1; t < slots.Count; t++ {
				if a := s.p.addrFor(t); a != "" && a != addr {
					next = uint64(t)
					break
				}
			}
		}
		if next == 0 || next&(slots.Count-1) == next && len(keys) < count {
			// Done, or a fresh start on the next primary with room left: on to it.
			if next == 0 {
				s.w.Array(2)
				s.w.BulkString("0")
				s.writeKeys(keys)
				return
			}
			slot = int(next)
			raw = command(append([][]byte{args[0], []byte(strconv.FormatUint(next, 10))}, args[2:]...))
			continue
		}
		s.w.Array(2)
		s.w.BulkString(strconv.FormatUint(next, 10))
		s.writeKeys(keys)
		return
	}
}

// writeKeys writes an array of the (encoded) keys.
func (s *session) writeKeys(keys [][]byte) {
	s.w.Array(len(keys))
	for _, k := range keys {
		s.w.Raw(k)
	}
}

// randomKey is RANDOMKEY: the primaries are asked in a random order until one has a
// key.
func (s *session) randomKey(args [][]byte) {
	if len(args) != 1 {
		s.fail("ERR wrong number of arguments for 'randomkey' command")
		return
	}
	ps := append([]string(nil), s.p.primaries()...)
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	for _, addr := range ps {
		reply := s.gather([]part{{slot: -1, addr: addr, raw: []byte("*1\r\n$9\r\nRANDOMKEY\r\n")}})[0]
		if len(reply) > 0 && (reply[0] == '-' || reply[0] == '$' && reply[1] != '-') {
			s.w.Raw(reply)
			return
		}
	}
	s.w.Null()
}

// info is INFO [section …]: the proxy's own sections (server, clients, stats,
// proxy) and the keyspace summed over the primaries.
func (s *session) info(args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["everything"] || want["default"]
	p := s.p
	var b strings.Builder
	section := func(name string, lines ...string) {
		if !all && !want[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	_, port, _ := net.SplitHostPort(p.Addr())
	up := time.Since(p.started)
	section("Server", "redis_version:7.0.15", "redis_mode:proxy", "shoal_role:proxy",
		fmt.Sprintf("process_id:%d", os.Getpid()), "tcp_port:"+port,
		fmt.Sprintf("uptime_in_seconds:%d", int64(up.Seconds())), fmt.Sprintf("uptime_in_days:%d", int64(up.Hours()/24)))
	p.mu.Lock()
	clients := len(p.conns)
	p.mu.Unlock()
	section("Clients", fmt.Sprintf("connected_clients:%d", clients))
	section("Stats", fmt.Sprintf("total_connections_received:%d", p.ids.Load()),
		fmt.Sprintf("total_commands_processed:%d", p.commands.Load()))
	m := p.slots.Load()
	source := "cluster_slots"
	if p.gossip != nil && m.epoch > 0 {
		source = "gossip"
	}
	section("Proxy", fmt.Sprintf("proxy_primaries:%d", len(m.primaries)), fmt.Sprintf("proxy_topology_epoch:%d", m.epoch),
		"proxy_topology_source:"+source, fmt.Sprintf("proxy_links_per_node:%d", p.cfg.Links))
	if all || want["keyspace"] {
		var parts []part
		for _, addr := range m.primaries {
			parts = append(parts, part{slot: -1, addr: addr, raw: []byte("*2\r\n$4\r\nINFO\r\n$8\r\nkeyspace\r\n")})
		}
		var keys, expires, ttlSum int64
		for _, reply := range s.gather(parts) {
			k, e, ttl := keyspaceOf(reply)
			keys, expires, ttlSum = keys+k, expires+e, ttlSum+ttl*e
		}
		var lines []string
		if keys > 0 {
			avg := int64(0)
			if expires > 0 {
				avg = ttlSum / expires
			}
			lines = append(lines, fmt.Sprintf("db0:keys=%d,expires=%d,avg_ttl=%d", keys, expires, avg))
		}
		section("Keyspace", lines...)
	}
	s.w.BulkString(b.String())
}

// keyspaceOf reads db0's keys, expires and avg_ttl from a node's INFO keyspace reply.
func keyspaceOf(reply []byte) (keys, expires, avgTTL int64) {
	for _, line := range strings.Split(string(reply), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "db0:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "keys":
				keys = n
			case "expires":
				expires = n
			case "avg_ttl":
				avgTTL = n
			}
		}
	}
	return keys, expires, avgTTL
}
