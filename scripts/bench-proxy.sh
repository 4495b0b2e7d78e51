#!/usr/bin/env bash
# bench-proxy.sh — the proxy against the cluster behind it, in the same run: a shoal
# cluster of 3 primaries (one sentinel), then redis-benchmark -c 50 at -P 1 and
# -P 16, SET and GET, once with --cluster straight to the nodes and once through
# `shoal proxy` (requests/s, and the ratio proxy/direct); and the p50 latency of
# one client (-c 1 -P 1) both ways, whose difference is what the proxy adds to a
# request.
#
# The nodes run on CPU 0; redis-benchmark and the proxy on CPU 1 (a proxy usually
# runs beside its clients), where taskset exists and there are 2 CPUs. On such a
# machine the proxy takes its CPU from the benchmark client (or, elsewhere, from the
# nodes), so the script also reports the CPU time each spends per request: the
# proxy's against the nodes' is what it costs where it has a core of its own.
#
# Where cgroup CPU quotas can be set (root), the throughputs are measured again with
# the nodes (together) and the proxy each held to half of CPU 0, and redis-benchmark
# alone on CPU 1: as if the proxy ran on a core of its own as fast as the nodes'.
#
# Each figure is the median of ROUNDS rounds (default 3) that alternate direct and
# proxy runs, so a change in the machine's speed weighs on both alike.
#
# Usage: [ROUNDS=n] scripts/bench-proxy.sh
# Needs: bin/shoal (make build), redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
ROUNDS=${ROUNDS:-3}

start_sentinel
start_shoal_cluster 3
pp=$(free_port)
"${CLIENT_CPU[@]}" ./bin/shoal proxy --port "$pp" --cluster "127.0.0.1:${ports[0]}" --cluster-secret bench >"$work/proxy.log" 2>&1 &
pids+=($!)
proxy_pid=$!
wait_ready "$pp"
node_pids=$(for p in "${ports[@]}"; do redis-cli -p "$p" INFO server | awk -F: '/^process_id/ { print $2 + 0 }'; done)

# bench how test clients pipeline requests: "rps p50_ms" of one redis-benchmark run.
bench() {
	local how=$1 t=$2 c=$3 p=$4 n=$5 target=(-p "${ports[0]}" --cluster)
	[ "$how" = proxy ] && target=(-p "$pp")
	"${CLIENT_CPU[@]}" redis-benchmark "${target[@]}" -t "$t" -c "$c" -n "$n" -P "$p" -r 100000 --csv 2>/dev/null |
		awk -F'","' -v t="${t^^}" '$1 == "\"" t { gsub(/"/, "", $2); gsub(/"/, "", $5); print int($2), $5 }'
}
# ROUNDS rounds, each running every test direct and then through the proxy; medians.
declare -A R
for _ in $(seq 1 "$ROUNDS"); do
	for p in 1 16; do
		n=$((p == 1 ? 300000 : 2000000))
		for t in set get; do
			for how in direct proxy; do
				# shellcheck disable=SC2086
				n0=$(cpu_ticks $node_pids) p0=$(cpu_ticks "$proxy_pid")
				R[$how,$t$p]+="$(bench "$how" "$t" 50 "$p" "$n" | cut -d' ' -f1) "
				# shellcheck disable=SC2086
				n1=$(cpu_ticks $node_pids) p1=$(cpu_ticks "$proxy_pid")
				R[$how,ncpu$t$p]+="$(us_per $((n1 - n0)) "$n") "
				R[$how,pcpu$t$p]+="$(us_per $((p1 - p0)) "$n") "
			done
		done
	done
	for how in direct proxy; do R[$how,lat]+="$(bench "$how" get 1 1 50000 | cut -d' ' -f2) "; done
done
# Capped: the nodes together and the proxy each held to half of CPU 0 by cgroup quotas
# (where this machine allows them), redis-benchmark alone on CPU 1 — as if the proxy
# had a core of its own as fast as the nodes', and the load generator had spare CPU.
capped=
mapfile -t np <<<"$node_pids"
if [ ${#SERVER_CPU[@]} -gt 0 ] && cap_cpu "${np[0]}" 50 "${np[@]:1}" 2>/dev/null &&
	taskset -a -p -c 0 "$proxy_pid" >/dev/null && cap_cpu "$proxy_pid" 50 2>/dev/null; then
	capped=yes
	for _ in $(seq 1 "$ROUNDS"); do
		for p in 1 16; do
			n=$((p == 1 ? 100000 : 1000000))
			for t in set get; do
				for how in direct proxy; do
					R[$how,cap$t$p]+="$(bench "$how" "$t" 50 "$p" "$n" | cut -d' ' -f1) "
				done
			done
		done
	done
fi
for k in "${!R[@]}"; do R[$k]=$(median_of "${R[$k]}"); done

echo "# shoal proxy vs the same cluster of 3 primaries direct; $(nproc) cores${SERVER_CPU:+, nodes on CPU 0, redis-benchmark and the proxy on CPU 1}; median of $ROUNDS alternating rounds"
printf "%-44s %10s %10s %8s\n" "" direct proxy ratio
row() { printf "%-44s %10s %10s %8s\n" "$1" "${R[direct,$2]}" "${R[proxy,$2]}" "$(ratio "${R[proxy,$2]}" "${R[direct,$2]}")"; }
row "redis-benchmark -c 50 SET -P 1 (req/s)" set1
row "redis-benchmark -c 50 GET -P 1 (req/s)" get1
row "redis-benchmark -c 50 SET -P 16 (req/s)" set16
row "redis-benchmark -c 50 GET -P 16 (req/s)" get16
if [ -n "$capped" ]; then
	echo "# capped: the nodes (together) and the proxy each at half of CPU 0, redis-benchmark alone on CPU 1"
	row "capped, redis-benchmark -c 50 SET -P 1 (req/s)" capset1
	row "capped, redis-benchmark -c 50 GET -P 1 (req/s)" capget1
	row "capped, redis-benchmark -c 50 SET -P 16 (req/s)" capset16
	row "capped, redis-benchmark -c 50 GET -P 16 (req/s)" capget16
fi
echo
echo "# CPU time per request (µs): the nodes' (direct), the nodes' and the proxy's (through the proxy)"
printf "%-44s %10s %10s %10s\n" "" nodes nodes proxy
for k in set1 get1 set16 get16; do
	printf "%-44s %10s %10s %10s\n" "${k^^}" "${R[direct,ncpu$k]}" "${R[proxy,ncpu$k]}" "${R[proxy,pcpu$k]}"
done
echo
printf "%-44s %10s %10s %8s\n" "GET p50, one client (ms)" "${R[direct,lat]}" "${R[proxy,lat]}" \
	"+$(awk -v a="${R[proxy,lat]}" -v b="${R[direct,lat]}" 'BEGIN { printf "%d µs", (a - b) * 1000 }')"
