#!/usr/bin/env bash
# reliability.sh — the reliability suite's long run (make chaos): the fault tests of
# internal/clustertest (and the process ones of cmd/shoal: paused, all killed) with ROUNDS rounds
# each (default 20), then RELIABILITY.md
# rewritten from what they logged: per scenario, the faults injected, the operations,
# how they ended, lost acknowledged writes, and the linearizability verdict.
#
# Usage: [ROUNDS=20] scripts/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-20}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "reliability: $rounds rounds per scenario (a few minutes)"
if ! { SHOAL_FAILOVER_ROUNDS=$rounds SHOAL_MOVE_ROUNDS=$rounds go test -count=1 -timeout 120m -v \
	-run 'TestLinearizableSafeMode|TestAppendsAcrossFailovers|TestPrimaryWiped|TestPartitions|TestRedisClusterDrills|TestMoveKills|TestFailoverKill$|TestSafeMode' \
	./internal/clustertest >"$log" 2>&1 &&
	SHOAL_FAILOVER_ROUNDS=$rounds go test -count=1 -timeout 60m -v -run 'TestPausedPrimary|TestAllKilled' ./cmd/shoal >>"$log" 2>&1; }; then
	grep -E -- '--- FAIL|_test.go' "$log" | grep -v -E ' (scenario|availability|result): |round [0-9]+: ' | tail -40
	kept=$(mktemp /tmp/shoal-reliability-XXXXXX.log)
	cp "$log" "$kept"
	echo "reliability: a scenario failed (the whole log: $kept); RELIABILITY.md left as it was" >&2
	exit 1
fi

{
	echo "# Reliability"
	echo
	echo "What the fault tests of \`internal/clustertest\` found in their last long run"
	echo "(\`make chaos\`, $rounds rounds per scenario, $(date -u +%Y-%m-%d), $(nproc) cores; \`make test\` runs"
	echo "the same scenarios with 1–4 rounds). Processes are killed with no warning and started again"
	echo "(one at a time, or the whole cluster), killed with SIGKILL all at once and paused with SIGSTOP"
	echo "(data node processes; the rest run in one test process), and sentinels replaced while cut off;"
	echo "network faults go through a TCP fault proxy on every link between the cluster's processes"
	echo "(Raft, gossip, replication, probes, leases; internal/faults), partitions holding bytes as a"
	echo "lost route does. Every cluster has 3 sentinels and one shard. Operations ended *ok*,"
	echo "*failed* (refused before running: MOVED, CLUSTERDOWN, NOREPLICAS …) or *unknown* (a"
	echo "timeout or a lost connection: it may or may not have happened); the checkers allow an"
	echo "unknown write either way. *Availability* is the share of operations that succeeded among"
	echo "those called while a fault was in force (until the shard was whole again) and outside."
	echo "The fault schedules are seeded: the seed is in the test log (\`SHOAL_SEED=n\` replays one)."
	echo "Rows named *Redis Cluster 7* run the same append workload and checker against real"
	echo "redis-server processes (3 primaries with a replica each, cluster-node-timeout 400 ms like"
	echo "the sentinels' down-after here, no persistence like the shoal nodes here except in the"
	echo "all-killed drill, appendonly yes and appendfsync always as there), partitioned with iptables"
	echo "rules between their loopback addresses, killed and paused like the shoal processes; they"
	echo "appear where redis-server is installed."
	echo "A Redis round in which no replica was promoted within a minute ends there (the network"
	echo "healed); the test log names such rounds. *dial* errors outside the faults come right after"
	echo "a restart: go-redis's connection pool, once every dial to a node has failed, answers its"
	echo "last dial error until its background redial (once a second) succeeds."
	echo
	echo "| Scenario | Faults | Workload | Result | Availability |"
	echo "|---|---|---|---|---|"
	awk '
		/ scenario: / { sc = $0; sub(/^.* scenario: /, "", sc); gsub(/ \| /, " | ", sc); next }
		/ availability: / { av = $0; sub(/^.* availability: available /, "", av); next }
		/ result: / && sc != "" {
			r = $0; sub(/^.* result: /, "", r)
			printf "| %s | %s | %s |\n", sc, r, av
			sc = ""; av = ""
		}
	' "$log"
	n=$(grep -c 'round [0-9]*: the slots are' "$log" || true)
	printf "| Slot moves (shoal's own migration) | the source's primary, the target's or the sentinels' leader killed at a random moment of each move | keys of the moving slots | %d moves, each ended; every key read once afterwards | |\n" "$n"
	echo "| Failover kill (async) | primary killed under writes, $rounds rounds | writes through a ClusterClient | epochs strictly growing; acknowledged writes found after each round | |"
	echo "| Safe mode kill | primary killed under 4 writers, $rounds rounds | writes | every acknowledged write found | |"
	echo
	echo "In async mode (Redis's own) a primary cut off from its replicas keeps acknowledging writes"
	echo "until its write lease runs out (at most half of down-after, 200 ms in these tests; Redis"
	echo "Cluster's window is cluster-node-timeout, 15 s by default), and those writes are lost when a"
	echo "replica takes over. Safe mode acknowledges a write only once a replica has it."
	echo
	echo "Regenerate with \`make chaos\` (or \`ROUNDS=n scripts/reliability.sh\`)."
} >RELIABILITY.md
echo "reliability: RELIABILITY.md written"
cat RELIABILITY.md
