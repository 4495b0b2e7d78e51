package node

// keyChanged is signalModifiedKey for database db: it invalidates the WATCHes of key.
func (s *Server) keyChanged(db int, key []byte) {}
