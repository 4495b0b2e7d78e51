package node

// Write handlers report what they changed through three calls, placed exactly where
// Redis 7.0's implementation of the same command places signalModifiedKey,
// notifyKeyspaceEvent and server.dirty++:
//
//   - c.changed(key): the value at key (in the client's database) was modified. It
//     invalidates WATCHes on the key and CLIENT TRACKING entries.
//   - c.notify(class, event, key): a keyspace event for notify-keyspace-events
//     ("__keyspace@<db>__:<key>" and "__keyevent@<db>__:<event>").
//   - c.addDirty(n): n changes to the dataset, the count INFO shows as
//     rdb_changes_since_last_save, that save rules test, and that decides whether the
//     command is propagated to the AOF and replicas (a call that changed nothing is not).
//
// Expiry and eviction report through the same paths from the server (event "expired",
// "evicted"), not from a client.

// Keyspace event classes: the flags of notify-keyspace-events.
const (
	evGeneric  = 1 << iota // g: DEL, EXPIRE, RENAME … (type-independent commands)
	evString               // $
	evList                 // l
	evSet                  // s
	evHash                 // h
	evZset                 // z
	evExpired              // x
	evEvicted              // e
	evStream               // t
	evKeyMiss              // m (excluded from A)
	evNew                  // n (excluded from A)
	evModule               // d
	evKeyspace             // K
	evKeyevent             // E
)

// changed records that key in the client's database was modified (signalModifiedKey).
func (c *Client) changed(key []byte) { c.s.keyChanged(c, c.db.ID(), key) }

// notify raises a keyspace event of class for key in the client's database
// (notifyKeyspaceEvent).
func (c *Client) notify(class int, event string, key []byte) {
	c.s.keyEvent(c.db.ID(), class, event, key)
}

// addDirty counts n changes to the dataset made by the current command.
func (c *Client) addDirty(n int) { c.dirty += int64(n) }

// wrote is the usual trio after a write to key: changed, the keyspace event, one dirty
// change.
func (c *Client) wrote(key []byte, class int, event string) {
	c.changed(key)
	c.notify(class, event, key)
	c.dirty++
}
