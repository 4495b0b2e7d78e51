package node

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// stats are the server-wide counters INFO stats, errorstats and CONFIG RESETSTAT see.
type stats struct {
	connections   atomic.Int64 // total_connections_received
	rejectedConns atomic.Int64 // rejected_connections
	commands      atomic.Int64 // total_commands_processed
	netIn, netOut atomic.Int64
	errorsTotal   atomic.Int64
	dirty         atomic.Int64 // changes since the last save (rdb_changes_since_last_save)

	outputLimitDisconnects atomic.Int64 // client_output_buffer_limit_disconnections
	safeTimeouts           atomic.Int64 // safe writes no replica acknowledged in time (shard-durability)
	evicted                atomic.Int64 // evicted_keys

	errMu  sync.Mutex
	errors map[string]int64 // by error prefix ("ERR", "WRONGTYPE")
}

// countError counts an error reply by its prefix, as INFO errorstats does.
func (st *stats) countError(msg string) {
	prefix, _, _ := strings.Cut(strings.TrimPrefix(msg, "-"), " ")
	st.errorsTotal.Add(1)
	st.errMu.Lock()
	if st.errors == nil {
		st.errors = map[string]int64{}
	}
	// Redis stops tracking new prefixes past 128, to bound memory.
	if _, ok := st.errors[prefix]; ok || len(st.errors) < 128 {
		st.errors[prefix]++
	}
	st.errMu.Unlock()
}

// errorCounts returns the error counters sorted by prefix.
func (st *stats) errorCounts() (names []string, counts []int64) {
	st.errMu.Lock()
	defer st.errMu.Unlock()
	for k := range st.errors {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		counts = append(counts, st.errors[k])
	}
	return names, counts
}

func (st *stats) reset() {
	st.connections.Store(0)
	st.rejectedConns.Store(0)
	st.commands.Store(0)
	st.netIn.Store(0)
	st.netOut.Store(0)
	st.errorsTotal.Store(0)
	st.evicted.Store(0)
	st.errMu.Lock()
	st.errors = nil
	st.errMu.Unlock()
}
