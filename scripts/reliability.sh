#!/usr/bin/env bash
# reliability.sh — the reliability suite's long run (make chaos): the fault tests of
# internal/clustertest with ROUNDS rounds each (default 20), then RELIABILITY.md
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
if ! SHOAL_FAILOVER_ROUNDS=$rounds SHOAL_MOVE_ROUNDS=$rounds go test -count=1 -timeout 60m -v \
	-run 'TestLinearizableSafeMode|TestAppendsAcrossFailovers|TestMoveKills|TestFailoverKill$|TestSafeMode' \
	./internal/clustertest >"$log" 2>&1; then
	grep -E -- '--- FAIL|_test.go' "$log" | tail -40
	echo "reliability: a scenario failed (the log above); RELIABILITY.md left as it was" >&2
	exit 1
fi

{
	echo "# Reliability"
	echo
	echo "What the fault tests of \`internal/clustertest\` found in their last long run"
	echo "(\`make chaos\`, $rounds rounds per scenario, $(date -u +%Y-%m-%d), $(nproc) cores; \`make test\` runs"
	echo "the same scenarios with 2–4 rounds). Each round kills a process with no warning and starts"
	echo "it again. Operations ended *ok*, *failed* (refused before running: MOVED, CLUSTERDOWN,"
	echo "NOREPLICAS …) or *unknown* (a timeout or a lost connection: it may or may not have"
	echo "happened); the checkers allow an unknown write either way."
	echo
	echo "| Scenario | Faults | Result |"
	echo "|---|---|---|"
	awk '
		/^=== RUN   TestLinearizableSafeMode\/cluster-client/ { s = "Registers, safe mode, 2 replicas, go-redis ClusterClient" }
		/^=== RUN   TestLinearizableSafeMode\/proxy/ { s = "Registers, safe mode, 2 replicas, through shoal proxy" }
		/^=== RUN   TestAppendsAcrossFailovers\/async/ { s = "List appends, async mode (as Redis), 1 replica" }
		/^=== RUN   TestAppendsAcrossFailovers\/safe/ { s = "List appends, safe mode, 1 replica" }
		/operations ok/ && s != "" {
			sub(/^ *[a-z_]+_test\.go:[0-9]+: /, "")
			verdict = ($NF == "Ok") ? "linearizable" : ($NF == "Illegal" ? "NOT linearizable" : "checker timed out")
			sub(/: [A-Za-z]+$/, "")
			printf "| %s | primary killed and restarted, '"$rounds"' rounds | %s; %s |\n", s, $0, verdict
			s = ""
		}
		/mode: [0-9]+ acknowledged/ && s != "" {
			sub(/^ *[a-z_]+_test\.go:[0-9]+: [a-z]+ mode: /, "")
			printf "| %s | primary killed and restarted, '"$rounds"' rounds | %s |\n", s, $0
			s = ""
		}
	' "$log"
	n=$(grep -c 'round [0-9]*: the slots are' "$log" || true)
	printf "| Slot moves (shoal's own migration) | the source's primary, the target's or the sentinels' leader killed at a random moment of each move | %d moves, each ended; every key read once afterwards |\n" "$n"
	echo "| Failover kill (async) | primary killed under writes, $rounds rounds | epochs strictly growing; acknowledged writes found after each round |"
	echo "| Safe mode kill | primary killed under 4 writers, $rounds rounds | every acknowledged write found |"
	echo
	echo "Regenerate with \`make chaos\` (or \`ROUNDS=n scripts/reliability.sh\`)."
} >RELIABILITY.md
echo "reliability: RELIABILITY.md written"
cat RELIABILITY.md
