#!/usr/bin/env bash
# proxy-transcripts.sh — runs the node package's command transcripts through `shoal
# proxy` in front of a cluster of three primaries (one sentinel), as well as against
# a single shoal server and redis-server. A transcript stops, skipped, at the first
# reply that is a cluster's documented restriction (keys of several slots in one
# command, SELECT of another database, MOVE, SWAPDB); the script prints how many ran
# through and how many were skipped so.
#
# Usage: scripts/proxy-transcripts.sh [go test -run pattern]
# Needs: bin/shoal (make build), redis-server and redis-tools (scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
start_sentinel
start_shoal_cluster 3
pp=$(free_port)
./bin/shoal proxy --port "$pp" --cluster "127.0.0.1:${ports[0]}" --cluster-secret bench >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_ready "$pp"
until [ "$(redis-cli -p "$pp" SET probe 1 2>/dev/null)" = OK ]; do sleep 0.05; done

set +e
SHOAL_TRANSCRIPT_PROXY="127.0.0.1:$pp" go test -count=1 -v -run "${1:-.}" ./node/ >"$work/test.log" 2>&1
rc=$?
set -e
# Each failure through the proxy with its messages (what its run printed).
for name in $(grep -oE -- "--- FAIL: [^ ]*/proxy(#[0-9]+)?" "$work/test.log" | cut -d' ' -f3); do
	echo "--- FAIL: $name"
	awk -v n="=== RUN   $name" '$0 == n { on = 1; next } /^=== / { on = 0 } on' "$work/test.log"
done | head -300
pass=$(grep -cE "^\s*--- PASS: .*/proxy(#[0-9]+)? " "$work/test.log" || true)
skip=$(grep -cE "^\s*--- SKIP: .*/proxy(#[0-9]+)? " "$work/test.log" || true)
fail=$(grep -cE "^\s*--- FAIL: .*/proxy(#[0-9]+)? " "$work/test.log" || true)
echo "transcripts through the proxy: $pass passed, $skip stopped at a cluster restriction, $fail failed"
[ "$rc" = 0 ] || { grep -E "^(--- FAIL|FAIL|panic)" "$work/test.log" | head -40; exit 1; }
