#!/usr/bin/env bash
# bench-persistence.sh — shoal's persistence vs a real redis-server, side by side.
#
# With KEYS (default 1,000,000) small string keys in each server:
#   - BGSAVE wall time and RDB size, on an idle server;
#   - BGSAVE under load: a 50% write load (SET and GET clients running together) while
#     the save runs; the server's RSS growth during the save (shoal: no fork, so RSS
#     is the whole cost; Redis: the parent's RSS plus the forked child's copy-on-write,
#     rdb_last_cow_size); the p99 latency of a probe client (GET, one connection) during
#     the save against the same probe under the same load without a save;
#   - load-at-start time of the saved file (restart until PING answers PONG);
#   - SET throughput with appendonly yes / appendfsync everysec as a ratio to no
#     persistence, for each server (median of 3 alternating runs).
# Prints every figure and the ratios.
#
# Usage: scripts/bench-persistence.sh [-k keys]
# Needs: bin/shoal (make build), redis-server, redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
keys_option "$@"

PORT= PID=
start() { # target extra-args...
	local target=$1
	shift
	PORT=$(free_port)
	mkdir -p "$work/$target"
	if [ "$target" = shoal ]; then
		"${SERVER_CPU[@]}" ./bin/shoal server --port "$PORT" --bind 127.0.0.1 --save "" --dir "$work/$target" --loglevel warning "$@" >>"$work/$target.log" 2>&1 &
	else
		"${SERVER_CPU[@]}" redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/$target" --loglevel warning "$@" >>"$work/$target.log" 2>&1 &
	fi
	PID=$!
	pids+=($!)
	wait_ready "$PORT"
}
stop() {
	redis-cli -p "$PORT" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	wait "$PID" 2>/dev/null || true
}

# bgsave_ms port: runs BGSAVE and waits for it to end; prints its wall time.
bgsave_ms() {
	local t0
	t0=$(now_ms)
	redis-cli -p "$1" BGSAVE >/dev/null
	while [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" != 0 ]; do sleep 0.02; done
	echo $(($(now_ms) - t0))
}

# load_start port requests: the 50% write load, in the background.
LOAD_PIDS=()
load_start() {
	"${CLIENT_CPU[@]}" redis-benchmark -p "$1" -t set -c 25 -n "$2" -r "$KEYS" >/dev/null 2>&1 &
	LOAD_PIDS=($!)
	"${CLIENT_CPU[@]}" redis-benchmark -p "$1" -t get -c 25 -n "$2" -r "$KEYS" >/dev/null 2>&1 &
	LOAD_PIDS+=($!)
}
load_stop() { kill "${LOAD_PIDS[@]}" 2>/dev/null || true; wait "${LOAD_PIDS[@]}" 2>/dev/null || true; }

# probe_p99 port requests: p99 latency (ms) of one GET client.
probe_p99() {
	"${CLIENT_CPU[@]}" redis-benchmark -p "$1" -t get -c 1 -n "$2" -r "$KEYS" 2>/dev/null | tr '\r' '\n' |
		awk '/latency summary/ { getline; getline; print $5; exit }'
}

gen_keys "$KEYS" "$work/load.resp"
declare -A R
for target in redis shoal; do
	start $target
	redis-cli -p "$PORT" --pipe <"$work/load.resp" >/dev/null
	[ "$(redis-cli -p "$PORT" DBSIZE)" = "$KEYS" ] || { echo "$target did not load $KEYS keys" >&2; exit 1; }
	R[$target,save_ms]=$(bgsave_ms "$PORT")
	R[$target,rdb_mb]=$(awk -v b="$(stat -c %s "$work/$target/dump.rdb")" 'BEGIN { printf "%.1f", b / 1048576 }')
	# The probe runs about as long as a save takes: size it from its idle rate.
	rate=$(redis-benchmark -p "$PORT" -t get -c 1 -n 5000 -r "$KEYS" --csv 2>/dev/null | awk -F'","' 'NR == 2 { gsub(/"/, "", $2); print int($2) }')
	probe_n=$((rate * R[$target,save_ms] / 1000 + 1000))
	load_start "$PORT" 100000000
	sleep 1
	R[$target,p99_idle]=$(probe_p99 "$PORT" "$probe_n")
	rss0=$(rss_kb "$PID")
	peak=$rss0
	redis-cli -p "$PORT" BGSAVE >/dev/null
	probe_p99 "$PORT" "$probe_n" >"$work/p99" &
	probe=$!
	while [ "$(info_field "$PORT" persistence rdb_bgsave_in_progress)" != 0 ]; do
		r=$(rss_kb "$PID")
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.02
	done
	wait $probe
	R[$target,p99_save]=$(cat "$work/p99")
	load_stop
	R[$target,rss_mb]=$((rss0 / 1024))
	R[$target,rss_growth_mb]=$(((peak - rss0) / 1024))
	R[$target,cow_mb]=$(($(info_field "$PORT" persistence rdb_last_cow_size) / 1048576))
	redis-cli -p "$PORT" SAVE >/dev/null
	stop
	t0=$(now_ms)
	start $target
	R[$target,load_ms]=$(($(now_ms) - t0))
	stop
done

# SET throughput: no persistence vs appendonly yes (everysec), alternating, median of 3.
for rep in 1 2 3; do
	for target in redis shoal; do
		for mode in none aof; do
			rm -rf "${work:?}/$target"
			if [ $mode = aof ]; then start $target --appendonly yes --appendfsync everysec; else start $target; fi
			for p in 1 16; do
				R[$target,$mode,$p]+="$("${CLIENT_CPU[@]}" redis-benchmark -p "$PORT" -t set -c 50 -n 300000 -P $p -r 100000 --csv 2>/dev/null |
					awk -F'","' 'NR == 2 { gsub(/"/, "", $2); print int($2) }') "
			done
			stop
		done
	done
done
for target in redis shoal; do
	for mode in none aof; do
		for p in 1 16; do
			R[$target,$mode,$p]=$(median_of "${R[$target,$mode,$p]}")
		done
	done
done

echo "# shoal vs redis-server $(redis-server --version | cut -d' ' -f3); $KEYS keys; $(nproc) cores${SERVER_CPU:+, servers on CPU 0, clients on CPU 1}"
printf "%-44s %10s %10s %8s\n" "" redis shoal ratio
row() { printf "%-44s %10s %10s %8s\n" "$1" "${R[redis,$2]}" "${R[shoal,$2]}" "$(ratio "${R[shoal,$2]}" "${R[redis,$2]}")"; }
row "BGSAVE wall time, idle (ms)" save_ms
row "RDB size (MiB)" rdb_mb
row "load at start (ms)" load_ms
row "RSS before BGSAVE under load (MiB)" rss_mb
row "RSS growth during BGSAVE under load (MiB)" rss_growth_mb
row "fork copy-on-write during BGSAVE (MiB)" cow_mb
row "probe p99 under load, no save (ms)" p99_idle
row "probe p99 under load, during BGSAVE (ms)" p99_save
for target in redis shoal; do
	printf "%s: RSS growth %s%% (fork copy-on-write %s MiB), p99 during BGSAVE / without %s\n" $target \
		"$(awk -v g="${R[$target,rss_growth_mb]}" -v c="${R[$target,cow_mb]}" -v b="${R[$target,rss_mb]}" 'BEGIN { printf "%.0f", 100 * (g + c) / b }')" \
		"${R[$target,cow_mb]}" "$(ratio "${R[$target,p99_save]}" "${R[$target,p99_idle]}")"
done
for p in 1 16; do
	for target in redis shoal; do
		printf "%s SET -P %-2s: no persistence %8s/s, appendfsync everysec %8s/s, ratio %s\n" $target $p \
			"${R[$target,none,$p]}" "${R[$target,aof,$p]}" "$(ratio "${R[$target,aof,$p]}" "${R[$target,none,$p]}")"
	done
done
