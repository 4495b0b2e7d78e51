// Package storage is shoal's engine: the keyspace of every database split by hash slot,
// the lock stripes that guard it, the value types and their compact encodings, expiry,
// memory accounting and keyspace iteration.
//
// It knows nothing of sockets, RESP or the cluster and imports nothing of shoal's: a test
// can drive it directly. Callers compute a key's hash slot (slots.KeySlot) and pass it in,
// so the engine never hashes a key twice and never depends on the cluster package.
//
// Locking: every slot belongs to one stripe (slot % NumStripes), shared by all databases.
// A caller holds the stripe of every slot it touches for the whole of an operation (see
// LockSet); methods that say "caller holds the stripe" must not be called otherwise.
// Stripes are always taken in ascending order, so multi-key operations cannot deadlock.
// The whole lock order is in LOCKS.md at the repository root.
package storage
