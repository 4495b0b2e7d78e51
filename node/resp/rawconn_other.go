//go:build !linux

package resp

import "net"

// RawConn returns c: the raw system calls of RawConn (rawconn_linux.go) are made on
// Linux only.
func RawConn(c net.Conn) net.Conn { return c }
