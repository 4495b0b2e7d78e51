#!/usr/bin/env bash
# The compose lab's smoke test (make compose-smoke, run by .ci/run): build the
# FROM scratch image, bring deploy/docker-compose.yml up, see the cluster created,
# write and read through the proxy and with a cluster-aware client (redis-cli -c) from
# the host, `docker kill` a primary and see its replica take over with the data, start
# it again and see it come back as a replica, then `down -v`.
#
# Skips, with a message, where no Docker engine or compose tool answers.
# Environment: SHOAL_NET (the lab network's first three parts; default 10.89.77 here so
# it does not clash with a lab a user runs on 10.89.0).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
	echo "compose-smoke: skipped: no Docker engine answers"
	exit 0
fi
if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
else
	echo "compose-smoke: skipped: neither 'docker compose' nor docker-compose is installed"
	exit 0
fi
command -v redis-cli >/dev/null || { echo "compose-smoke: redis-cli is needed (make test-deps)"; exit 1; }

export SHOAL_NET=${SHOAL_NET:-10.89.77}
export SHOAL_IMAGE=shoal:smoke
project=shoal-smoke
dc() { "${compose[@]}" -f deploy/docker-compose.yml -p "$project" "$@"; }

log() { echo "compose-smoke: $*"; }
fail() {
	log "FAIL: $*"
	dc ps || true
	dc logs --tail 40 || true
	exit 1
}
cleanup() {
	dc down -v --remove-orphans >/dev/null 2>&1 || true
	docker image rm -f "$SHOAL_IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# waitfor DESC SECONDS CMD...: poll CMD until it succeeds.
waitfor() {
	local desc=$1 secs=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "$desc: not within ${secs}s"
		sleep 0.5
	done
	log "$desc"
}

cleanup
make build >/dev/null
build_log=$(docker build -q -f deploy/Dockerfile -t "$SHOAL_IMAGE" . 2>&1) || { echo "$build_log"; fail "docker build"; }
log "image $SHOAL_IMAGE built FROM scratch ($(docker image inspect -f '{{.Size}}' "$SHOAL_IMAGE") bytes)"
dc up -d >/dev/null 2>&1 || fail "compose up"

net=$SHOAL_NET
node() { echo "$net.$((20 + $1))"; } # node N's address; its port is 6999+N
proxy_ok() { [ "$(redis-cli -p 7200 PING)" = PONG ]; }
waitfor "the cluster created and the proxy serving" 180 proxy_ok
[ "$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q create)")" = 0 ] || fail "the create step failed"

for i in $(seq 1 50); do
	[ "$(redis-cli -p 7200 SET "key:$i" "v$i")" = OK ] || fail "SET key:$i through the proxy"
done
[ "$(redis-cli -p 7200 DBSIZE)" = 50 ] || fail "DBSIZE through the proxy: $(redis-cli -p 7200 DBSIZE)"
[ "$(redis-cli -c -h "$(node 2)" -p 7001 GET key:7)" = v7 ] || fail "GET in cluster mode from the host"
[ "$(redis-cli -c -h "$(node 3)" -p 7002 SET from-host yes)" = OK ] || fail "SET in cluster mode from the host"
log "wrote 50 keys through the proxy (localhost:7200) and read them in cluster mode at $(node 2):7001"

# The replicas hold every write before the drill (WAIT through the proxy: every primary).
[ "$(redis-cli -p 7200 WAIT 1 5000)" = 1 ] || fail "WAIT 1 through the proxy"
# owner: host:port of key:1's primary, as the first node answering says (its value
# when it serves the key, else where its MOVED points).
owner() {
	local i r
	for i in 1 2 3 4 5 6; do
		r=$(redis-cli -h "$(node "$i")" -p $((6999 + i)) GET key:1 2>/dev/null) || continue
		case $r in
		v1) echo "$(node "$i"):$((6999 + i))" ;;
		*MOVED*) echo "${r##* }" ;;
		*) continue ;;
		esac
		return 0
	done
	return 1
}
first=$(owner)
[ -n "$first" ] || fail "no owner of slot $slot in CLUSTER SLOTS"
victim=""
for i in 1 2 3 4 5 6; do
	if [ "$first" = "$(node "$i"):$((6999 + i))" ]; then victim=node$i; fi
done
[ -n "$victim" ] || fail "the owner $first of key:1 is not a lab node"
docker kill "$(dc ps -q "$victim")" >/dev/null
killed=$(date +%s%N)
log "killed $victim ($first), the primary of key:1"
moved() { o=$(owner) && [ -n "$o" ] && [ "$o" != "$first" ]; }
waitfor "a replica promoted in its place" 60 moved
log "$(owner) serves key:1, $(((($(date +%s%N) - killed) / 1000000)))ms after the kill (polled every 0.5 s)"
served() { [ "$(redis-cli -p 7200 GET key:1)" = v1 ] && [ "$(redis-cli -p 7200 SET after-failover 1)" = OK ]; }
waitfor "key:1 read and a write made through the proxy after the failover" 60 served
for i in $(seq 1 50); do
	[ "$(redis-cli -p 7200 GET "key:$i")" = "v$i" ] || fail "key:$i after the failover"
done
log "all 50 keys there after the failover"

dc start "$victim" >/dev/null 2>&1
back() { redis-cli -h "${first%:*}" -p "${first#*:}" ROLE | head -1 | grep -qx slave; }
waitfor "$victim started again and back as a replica" 90 back
dc run --rm create >/dev/null 2>&1 || fail "the create step run again (--if-new) failed"
log "the create step run again changed nothing"
log "ok"
