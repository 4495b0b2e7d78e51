#!/usr/bin/env bash
# proxy-transcripts.sh — runs the node package's command transcripts through `shoal
# proxy` in front of a cluster of three primaries (one sentinel), as well as against
# a single shoal server and redis-server. A transcript stops, skipped, at the first
# reply that is a cluster's documented restriction (keys of several slots in one
# command, SELECT of another database, MOVE, SWAPDB); the script prints how many ran
# through and how many were skipped so.
#
# Usage: scripts/proxy-transcripts.sh [go test -run pattern]
# Needs: bin/shoal (make build), redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-cli >/dev/null || { echo "redis-cli not found (apt-get install redis-tools)" >&2; exit 1; }
[ -x bin/shoal ] || { echo "bin/shoal not found: run make build" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ready() {
	for _ in $(seq 1 400); do
		redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "port $1 did not answer" >&2
	exit 1
}

sp=$(free_port)
./bin/shoal sentinel --id s1 --dir "$work/sentinel" --port "$sp" --raft-port "$(free_port)" \
	--bus-port "$(free_port)" --bootstrap --secret transcripts >"$work/sentinel.log" 2>&1 &
pids+=($!)
wait_ready "$sp"
addrs=()
for i in 0 1 2; do
	p=$(free_port)
	mkdir -p "$work/n$i"
	./bin/shoal server --port "$p" --bind 127.0.0.1 --save "" --dir "$work/n$i" --cluster-enabled yes \
		--cluster-secret transcripts --cluster-port "$(free_port)" --loglevel warning >"$work/n$i.log" 2>&1 &
	pids+=($!)
	wait_ready "$p"
	addrs+=("127.0.0.1:$p")
done
./bin/shoal cluster --sentinels "127.0.0.1:$sp" create "${addrs[@]}" >"$work/create.log" 2>&1 ||
	{ cat "$work/create.log" >&2; exit 1; }
pp=$(free_port)
./bin/shoal proxy --port "$pp" --cluster "${addrs[0]}" --cluster-secret transcripts >"$work/proxy.log" 2>&1 &
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
