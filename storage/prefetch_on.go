//go:build !race

package storage

// prefetchOn enables Prefetch; the race detector would report its lock-free reads.
const prefetchOn = true
