// Package resp reads and writes the Redis serialization protocol (RESP2 and RESP3).
//
// Reader parses client requests (multibulk and inline) with Redis 7's protocol limits and
// error strings; Writer appends replies to a byte buffer in the protocol version the
// client negotiated with HELLO; errors.go maps typed Go errors to RESP error replies.
//
// It imports nothing of shoal's: the node, the proxy and the sentinel all speak through it.
package resp
