// Package spec is the command table's data: for every Redis 7.0 command, its arity,
// flags, legacy key positions, key specs, ACL categories, tips, subcommands and the
// COMMAND DOCS text, as a real Redis 7.0.15 reports them.
//
// redis-7.0.json is the "COMMAND", "COMMAND DOCS" and "ACL CAT" replies of Redis 7.0.15
// decoded to JSON (from shared/reference). The node binds handlers to these entries, the
// proxy and ACL read key positions and categories from them; nothing else in shoal keeps
// its own copy of command facts.
//
// It imports nothing of shoal's.
package spec
