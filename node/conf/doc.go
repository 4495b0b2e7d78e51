// Package conf is shoal's configuration: the redis.conf parser, the command-line
// overrides, and CONFIG GET, SET and REWRITE, all following Redis 7.0.
//
// One table (registry.go) describes every Redis 7.0.15 directive: name, alias, kind,
// bounds, default, flags (immutable, protected, hidden, implemented by shoal) and, for the
// directives the server reads, the typed Config field it fills. Parsing, CONFIG GET, CONFIG
// SET and CONFIG REWRITE all work from that table. Directives shoal does not implement
// are still parsed, validated and kept, so CONFIG GET shows them; loading them warns.
//
// A *Config is an immutable snapshot: Set returns a new one, which the server publishes
// (for instance through an atomic.Pointer) and then acts on (new port, new maxmemory...).
//
// It imports nothing of shoal's.
package conf
