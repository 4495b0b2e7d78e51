package node

import (
	"strconv"
)

// parseNotifyFlags turns a notify-keyspace-events value into ev* bits ("A" is every
// class but key-miss and new). The configuration has already validated it.
func parseNotifyFlags(v string) int {
	flags := 0
	for _, ch := range v {
		switch ch {
		case 'A':
			flags |= evGeneric | evString | evList | evSet | evHash | evZset | evExpired | evEvicted | evStream | evModule
		case 'g':
			flags |= evGeneric
		case '$':
			flags |= evString
		case 'l':
			flags |= evList
		case 's':
			flags |= evSet
		case 'h':
			flags |= evHash
		case 'z':
			flags |= evZset
		case 'x':
			flags |= evExpired
		case 'e':
			flags |= evEvicted
		case 't':
			flags |= evStream
		case 'm':
			flags |= evKeyMiss
		case 'n':
			flags |= evNew
		case 'd':
			flags |= evModule
		case 'K':
			flags |= evKeyspace
		case 'E':
			flags |= evKeyevent
		}
	}
	return flags
}

// keyEvent is notifyKeyspaceEvent for database db: it publishes the keyspace
// ("__keyspace@<db>__:<key>", message event) and keyevent ("__keyevent@<db>__:<event>",
// message key) notifications notify-keyspace-events asks for. Cheap when off.
func (s *Server) keyEvent(db int, class int, event string, key []byte) {
	flags := int(s.notifyFlags.Load())
	if flags&class == 0 || flags&(evKeyspace|evKeyevent) == 0 {
		return
	}
	buf := make([]byte, 0, 32+len(key)+len(event))
	if flags&evKeyspace != 0 {
		buf = append(buf, "__keyspace@"...)
		buf = strconv.AppendInt(buf, int64(db), 10)
		buf = append(buf, "__:"...)
		buf = append(buf, key...)
		s.publish(kindChannel, buf, []byte(event))
	}
	if flags&evKeyevent != 0 {
		buf = append(buf[:0], "__keyevent@"...)
		buf = strconv.AppendInt(buf, int64(db), 10)
		buf = append(buf, "__:"...)
		buf = append(buf, event...)
		s.publish(kindChannel, buf, key)
	}
}

// keyEvicted reports a key removed by maxmemory eviction (called by the eviction code,
// under the key's stripe): WATCHes and client caches on it are invalidated and the
// "evicted" event is raised.
func (s *Server) keyEvicted(db int, key []byte) {
	s.keyChanged(nil, db, key)
	s.keyEvent(db, evEvicted, "evicted", key)
}
