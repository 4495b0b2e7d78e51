package node

// keyEvent is notifyKeyspaceEvent for database db: it publishes the keyspace and keyevent
// notifications notify-keyspace-events asks for.
func (s *Server) keyEvent(db int, class int, event string, key []byte) {}
