package failover

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Raft connections between sentinels are authenticated with the cluster secret when
// one is set: a peer that does not know it cannot take part in the group's Raft (ask
// for votes, append entries, install a snapshot). Each connection starts with a
// challenge-response: the accepting side sends a random nonce, the dialing side
// answers HMAC-SHA256(key, "dial" ‖ nonce) and a nonce of its own, and the accepting
// side answers HMAC-SHA256(key, "accept" ‖ that nonce); the key is derived from the
// secret. Only the start is authenticated: the traffic itself is not encrypted.

// raftAuthTimeout bounds a connection's handshake.
const raftAuthTimeout = 5 * time.Second

// errRaftAuth is a peer that failed the handshake.
var errRaftAuth = errors.New("raft: the peer does not know the cluster secret")

// raftKey is the handshake key of secret (nil when there is none: no handshake).
func raftKey(secret string) []byte {
	if secret == "" {
		return nil
	}
	k := sha256.Sum256([]byte("shoal raft\x00" + secret))
	return k[:]
}

func raftMAC(key []byte, label string, nonce []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write(nonce)
	return h.Sum(nil)
}

// dialAuth runs the dialing side of the handshake on conn.
func dialAuth(conn net.Conn, key []byte) error {
	conn.SetDeadline(time.Now().Add(raftAuthTimeout))
	defer conn.SetDeadline(time.Time{})
	var theirs, ours [16]byte
	if _, err := io.ReadFull(conn, theirs[:]); err != nil {
		return err
	}
	rand.Read(ours[:])
	if _, err := conn.Write(append(raftMAC(key, "dial", theirs[:]), ours[:]...)); err != nil {
		return err
	}
	var proof [sha256.Size]byte
	if _, err := io.ReadFull(conn, proof[:]); err != nil {
		return err
	}
	if !hmac.Equal(proof[:], raftMAC(key, "accept", ours[:])) {
		return errRaftAuth
	}
	return nil
}

// acceptAuth runs the accepting side of the handshake on conn.
func acceptAuth(conn net.Conn, key []byte) error {
	conn.SetDeadline(time.Now().Add(raftAuthTimeout))
	defer conn.SetDeadline(time.Time{})
	var ours [16]byte
	rand.Read(ours[:])
	if _, err := conn.Write(ours[:]); err != nil {
		return err
	}
	var msg [sha256.Size + 16]byte
	if _, err := io.ReadFull(conn, msg[:]); err != nil {
		return err
	}
	if !hmac.Equal(msg[:sha256.Size], raftMAC(key, "dial", ours[:])) {
		return errRaftAuth
	}
	_, err := conn.Write(raftMAC(key, "accept", msg[sha256.Size:]))
	return err
}

// authConn is an accepted connection whose handshake runs on its first read or write
// (in the transport's goroutine for the connection, so a slow peer does not hold up
// Accept); it is closed when the handshake fails.
type authConn struct {
	net.Conn
	key  []byte
	once sync.Once
	err  error
}

func (c *authConn) auth() error {
	c.once.Do(func() {
		if c.err = acceptAuth(c.Conn, c.key); c.err != nil {
			c.Conn.Close()
		}
	})
	return c.err
}

func (c *authConn) Read(b []byte) (int, error) {
	if err := c.auth(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *authConn) Write(b []byte) (int, error) {
	if err := c.auth(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
