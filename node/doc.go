// Package node is the data node: it accepts client connections, runs each connection's
// request pipeline through the command table (lookup → arity → auth → key locks →
// handler → reply), and owns the per-client state, the server cron and INFO.
//
// Handlers live in files named after Redis concepts (strings.go, lists.go, keys.go …);
// each file registers its commands in one list (see table.go) and nothing else switches
// on command names. Handlers run with the stripes of their keys locked by the executor
// unless their registration says otherwise (blocking commands lock for themselves).
//
// node may import storage, slots and its own sub-packages (spec, resp, conf).
package node
