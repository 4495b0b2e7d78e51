// Package slots maps keys to Redis Cluster hash slots (CRC16/XMODEM with {hash tags}),
// and holds slot ranges, the immutable Topology value (nodes, shards and their slots,
// the configuration epoch, migrations) and the pure redirect decision a node makes for
// a command's keys (Topology.Route: MOVED, ASK, TRYAGAIN, CROSSSLOT, CLUSTERDOWN), as
// Redis 7.0's getNodeByQuery. It imports nothing of shoal's.
package slots
