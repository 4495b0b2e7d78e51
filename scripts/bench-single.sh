#!/usr/bin/env bash
# bench-single.sh — shoal vs a real redis-server, side by side, in one run.
#
# Throughput: redis-benchmark against each server for SET GET INCR LPUSH LPOP SADD HSET
# ZADD at -c 50 with -P 1 and -P 16. Memory: 1,000,000 small string keys loaded through
# redis-cli --pipe into each; used_memory (INFO) and process RSS growth per key.
# Prints every figure and the shoal/redis ratios (throughput: higher is better; memory:
# lower is better). Beside each throughput, each server's CPU time per request (from
# /proc/<pid>/stat around the run): on a small machine the load generator often
# saturates its core first, and then that is the figure that compares the servers.
#
# Fairness on a small machine: where taskset exists and there are at least 2 CPUs, both
# servers are pinned to CPU 0 and redis-benchmark to CPU 1, so each server gets one core
# (Redis executes commands on one thread; shoal sizes its scheduler to the CPUs it may
# use) and the load generator never competes with the server. Each test runs REPS times
# (against Redis and then shoal, back to back), and the median is reported.
#
# Usage: scripts/bench-single.sh [-n requests] [-k keys] [-r reps]
# Needs: bin/shoal (make build), redis-server, redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=200000
KEYS=1000000
REPS=3
while getopts "n:k:r:" o; do
	case $o in
	n) REQUESTS=$OPTARG ;;
	k) KEYS=$OPTARG ;;
	r) REPS=$OPTARG ;;
	*) echo "usage: $0 [-n requests] [-k keys] [-r reps]" >&2; exit 2 ;;
	esac
done
TESTS="set,get,incr,lpush,lpop,sadd,hset,zadd"
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

SHOAL_PORT=$(free_port)
REDIS_PORT=$(free_port)
SHOAL_PID= REDIS_PID=
start_servers() {
	rm -rf "$work/shoal" "$work/redis"
	mkdir -p "$work/shoal" "$work/redis"
	"${SERVER_CPU[@]}" ./bin/shoal server --port "$SHOAL_PORT" --bind 127.0.0.1 --save "" --dir "$work/shoal" --loglevel warning >"$work/shoal.log" 2>&1 &
	SHOAL_PID=$!
	pids+=($!)
	"${SERVER_CPU[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/redis" --loglevel warning >"$work/redis.log" 2>&1 &
	REDIS_PID=$!
	pids+=($!)
	wait_ready "$SHOAL_PORT"
	wait_ready "$REDIS_PORT"
}
stop_servers() {
	kill "$SHOAL_PID" "$REDIS_PID" 2>/dev/null || true
	wait "$SHOAL_PID" "$REDIS_PID" 2>/dev/null || true
}

echo "# shoal $(./bin/shoal --version 2>/dev/null | head -1) vs redis-server $(redis-server --version | cut -d' ' -f3)"
echo "# $(nproc) cores${SERVER_CPU:+, servers pinned to CPU 0 and redis-benchmark to CPU 1}; $REQUESTS requests per test, 50 clients, median of $REPS runs"
echo

# Memory first, on fresh processes: the same KEYS small string keys in each.
gen_keys "$KEYS" "$work/load.resp"
used() { info_field "$1" memory used_memory; }

declare -A MEM
start_servers
for target in redis shoal; do
	port=$REDIS_PORT pid=$REDIS_PID
	[ $target = shoal ] && port=$SHOAL_PORT pid=$SHOAL_PID
	before_rss=$(rss_kb "$pid")
	before_used=$(used "$port")
	redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
	n=$(redis-cli -p "$port" DBSIZE)
	[ "$n" = "$KEYS" ] || { echo "$target holds $n keys, expected $KEYS" >&2; exit 1; }
	sleep 2 # let a garbage-collected heap settle before reading RSS
	after_rss=$(rss_kb "$pid")
	after_used=$(used "$port")
	MEM["$target,rss"]=$(( (after_rss - before_rss) * 1024 / KEYS ))
	MEM["$target,used"]=$(( (after_used - before_used) / KEYS ))
	MEM["$target,rss_total"]=$(( after_rss / 1024 ))
done
stop_servers
printf "%-26s %10s %10s %8s\n" "memory, $KEYS keys" redis shoal ratio
for m in used rss; do
	r=${MEM["redis,$m"]}
	s=${MEM["shoal,$m"]}
	printf "%-26s %10s %10s %8s\n" "$m bytes/key" "$r" "$s" "$(ratio "$s" "$r")"
done
printf "%-26s %10s %10s %8s\n" "RSS total MiB" "${MEM["redis,rss_total"]}" "${MEM["shoal,rss_total"]}" \
	"$(ratio "${MEM["shoal,rss_total"]}" "${MEM["redis,rss_total"]}")"
echo

# Throughput.
start_servers
declare -A RPS CPU
bench() { # port pid pipeline test -> "rps cpu_us_per_request", one redis-benchmark run
	local before rps
	before=$(cpu_ticks "$2")
	rps=$("${CLIENT_CPU[@]}" redis-benchmark -h 127.0.0.1 -p "$1" -c 50 -n "$REQUESTS" -P "$3" -t "$4" -r 100000 --csv 2>/dev/null |
		awk -F'","' 'NR>1 { gsub(/"/,"",$2); print $2 }')
	echo "$rps $(us_per $(($(cpu_ticks "$2") - before)) "$REQUESTS")"
}
# Each test runs against Redis and then against shoal before the next test, so that
# the pair meets the same moment of a machine whose speed drifts; the data of one
# round at one depth builds up alike on both (LPOP pops what LPUSH pushed).
for rep in $(seq 1 "$REPS"); do
	for p in 1 16; do
		redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
		redis-cli -p "$SHOAL_PORT" FLUSHALL >/dev/null
		for t in ${TESTS//,/ }; do
			for target in redis shoal; do
				port=$REDIS_PORT pid=$REDIS_PID
				[ $target = shoal ] && port=$SHOAL_PORT pid=$SHOAL_PID
				read -r rps cpu < <(bench "$port" "$pid" "$p" "$t")
				RPS["$target,$p,${t^^}"]+="$rps "
				CPU["$target,$p,${t^^}"]+="$cpu "
			done
		done
	done
done

echo "# cpu: each server's CPU time (user+system) per request, in µs; lower is better. Where"
echo "# redis-benchmark saturates its core before the servers do, the throughput ratio shows"
echo "# the load generator's limit and the noise, and the cpu ratio what each server costs."
printf "%-8s %4s %14s %14s %8s %9s %9s %8s\n" test P redis_rps shoal_rps ratio redis_us shoal_us cpu
for p in 1 16; do
	for t in SET GET INCR LPUSH LPOP SADD HSET ZADD; do
		r=$(median_of "${RPS["redis,$p,$t"]:-0}")
		s=$(median_of "${RPS["shoal,$p,$t"]:-0}")
		rc=$(median_of "${CPU["redis,$p,$t"]:-0}")
		sc=$(median_of "${CPU["shoal,$p,$t"]:-0}")
		printf "%-8s %4s %14s %14s %8s %9s %9s %8s\n" "$t" "$p" "$r" "$s" "$(ratio "$s" "$r")" "$rc" "$sc" "$(ratio "$sc" "$rc")"
	done
done
