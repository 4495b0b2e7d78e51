// Package slots maps keys to Redis Cluster hash slots (CRC16/XMODEM with {hash tags}).
//
// Later it also holds slot ranges, the Topology value and the pure redirect decision.
// It imports nothing of shoal's.
package slots
