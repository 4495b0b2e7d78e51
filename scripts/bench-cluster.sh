#!/usr/bin/env bash
# bench-cluster.sh — a shoal cluster vs a real Redis Cluster of the same shape, side by
# side: 3 primaries (no replicas) created with redis-cli --cluster create (shoal's
# behind one sentinel), then
#   - redis-benchmark --cluster -t set,get -c 50 at -P 1 and -P 16 (requests/s);
#   - the time redis-cli --cluster reshard takes to move 1,000 slots holding about
#     KEYS*1000/16384 keys (KEYS, default 100,000, loaded first), and the time shoal
#     cluster reshard takes to move them back (against redis-cli's time on Redis).
# Prints every figure and the shoal/Redis ratios.
#
# Usage: [ROUNDS=n] scripts/bench-cluster.sh [-k keys]   (ROUNDS: throughput rounds, default 3)
# Needs: bin/shoal (make build), redis-server, redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
KEYS_DEFAULT=100000 keys_option "$@"
ROUNDS=${ROUNDS:-3}

declare -A R PORTS PIDS
# Both clusters are up at once, and the throughput rounds alternate between them, so a
# change in the machine's speed during the run weighs on both alike.
for target in redis shoal; do
	ports=() tpids=()
	if [ "$target" = shoal ]; then
		start_sentinel
		bus=$(grep -o 'bus 127.0.0.1:[0-9]*' "$work/sentinel.log" | head -1 | cut -d: -f2)
	fi
	for i in 0 1 2; do
		p=$(free_port)
		mkdir -p "$work/$target-$i"
		if [ "$target" = shoal ]; then
			"${SERVER_CPU[@]}" ./bin/shoal server --port "$p" --bind 127.0.0.1 --save "" --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-secret bench --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		else
			"${SERVER_CPU[@]}" redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		fi
		pids+=($!) tpids+=($!)
		wait_ready "$p"
		[ "$target" = shoal ] && redis-cli -p "$p" CLUSTER MEET 127.0.0.1 "$sp" "$bus" >/dev/null
		ports+=("$p")
	done
	redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" --cluster-yes >"$work/$target-create.log" 2>&1
	until redis-cli -p "${ports[0]}" CLUSTER INFO | grep -q cluster_state:ok; do sleep 0.05; done
	PORTS[$target]="${ports[*]}" PIDS[$target]="${tpids[*]}"
done

# Throughput: ROUNDS rounds, each running every test against Redis then shoal; the
# medians are reported, with the nodes' CPU time per request (all three summed).
for _ in $(seq 1 "$ROUNDS"); do
	for p in 1 16; do
		n=$((p == 1 ? 300000 : 2000000)) # a few seconds each
		for t in set get; do
			for target in redis shoal; do
				read -ra ports <<<"${PORTS[$target]}"
				# shellcheck disable=SC2086
				before=$(cpu_ticks ${PIDS[$target]})
				R[$target,$t$p]+="$("${CLIENT_CPU[@]}" redis-benchmark --cluster -p "${ports[0]}" -t $t -c 50 -n $n -P $p -r 100000 --csv 2>/dev/null |
					awk -F'","' -v t="${t^^}" '$1 == "\"" t { gsub(/"/, "", $2); print int($2) }') "
				# shellcheck disable=SC2086
				R[$target,cpu$t$p]+="$(us_per $(($(cpu_ticks ${PIDS[$target]}) - before)) $n) "
			done
		done
	done
done
for k in "${!R[@]}"; do R[$k]=$(median_of "${R[$k]}"); done

for target in redis shoal; do
	read -ra ports <<<"${PORTS[$target]}"
	# Keys for the reshard: loaded through the cluster (redis-cli -c follows MOVED).
	awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "SET rk:%d v%d\n", i, i }' |
		redis-cli -c -p "${ports[0]}" >/dev/null
	from=$(redis-cli -p "${ports[0]}" CLUSTER MYID)
	to=$(redis-cli -p "${ports[1]}" CLUSTER MYID)
	t0=$(now_ms)
	redis-cli --cluster reshard "127.0.0.1:${ports[0]}" --cluster-from "$from" --cluster-to "$to" \
		--cluster-slots 1000 --cluster-yes >"$work/$target-reshard.log" 2>&1
	R[$target,reshard]=$(($(now_ms) - t0))
	redis-cli --cluster check "127.0.0.1:${ports[0]}" | grep -q "All 16384 slots covered" ||
		{ echo "$target: cluster check failed after the reshard" >&2; exit 1; }
	if [ "$target" = shoal ]; then
		# The same 1,000 slots back with shoal's own tool (a batch of slots per commit).
		t0=$(now_ms)
		./bin/shoal cluster --sentinels "127.0.0.1:$sp" reshard --from "$to" --to "$from" --slots 1000 >"$work/shoal-own-reshard.log" 2>&1
		R[shoal,ownreshard]=$(($(now_ms) - t0))
		R[redis,ownreshard]=${R[redis,reshard]}
		./bin/shoal cluster --sentinels "127.0.0.1:$sp" check >/dev/null
	fi
	# Stopped before the next reshard, so that each runs alone on the servers' CPU.
	for p in "${ports[@]}"; do redis-cli -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; done
done

echo "# shoal vs redis-server $(redis-server --version | cut -d' ' -f3) clusters of 3 primaries; $(nproc) cores${SERVER_CPU:+, servers on CPU 0, clients on CPU 1}"
echo "# throughput: median of $ROUNDS rounds alternating the clusters; cpu: the 3 nodes' CPU time per request (µs)"
printf "%-52s %10s %10s %8s\n" "" redis shoal ratio
row() { printf "%-52s %10s %10s %8s\n" "$1" "${R[redis,$2]}" "${R[shoal,$2]}" "$(ratio "${R[shoal,$2]}" "${R[redis,$2]}")"; }
row "redis-benchmark --cluster SET -P 1 (req/s)" set1
row "redis-benchmark --cluster GET -P 1 (req/s)" get1
row "redis-benchmark --cluster SET -P 16 (req/s)" set16
row "redis-benchmark --cluster GET -P 16 (req/s)" get16
row "  cpu per SET -P 1 (µs)" cpuset1
row "  cpu per GET -P 1 (µs)" cpuget1
row "  cpu per SET -P 16 (µs)" cpuset16
row "  cpu per GET -P 16 (µs)" cpuget16
row "redis-cli --cluster reshard 1,000 slots, $KEYS keys (ms)" reshard
row "  vs shoal cluster reshard, the same slots (ms)" ownreshard
