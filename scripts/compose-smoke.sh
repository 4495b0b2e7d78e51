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

export SHOAL_NET=${SHOAL_NET:-10.89.77}
export SHOAL_IMAGE=shoal:smoke
project=shoal-smoke
. scripts/compose-lib.sh
if ! why=$(compose_cmd); then
	echo "compose-smoke: skipped: $why"
	exit 0
fi
compose_cmd
command -v redis-cli >/dev/null || { echo "compose-smoke: redis-cli is needed (make test-deps)"; exit 1; }

cleanup() {
	dc down -v --remove-orphans >/dev/null 2>&1 || true
	docker image rm -f "$SHOAL_IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

cleanup
make build >/dev/null
build_log=$(docker build -q -f deploy/Dockerfile -t "$SHOAL_IMAGE" . 2>&1) || { echo "$build_log"; fail "docker build"; }
log "image $SHOAL_IMAGE built FROM scratch ($(docker image inspect -f '{{.Size}}' "$SHOAL_IMAGE") bytes)"
dc up -d >/dev/null 2>&1 || fail "compose up"

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
first=$(owner key:1)
[ -n "$first" ] || fail "no node serves key:1"
victim=$(service_of "$first") || fail "the owner $first of key:1 is not a lab node"
docker kill "$(dc ps -q "$victim")" >/dev/null
killed=$(now_ms)
log "killed $victim ($first), the primary of key:1"
moved() { o=$(owner key:1) && [ -n "$o" ] && [ "$o" != "$first" ]; }
waitfor "a replica promoted in its place" 60 moved
log "$(owner key:1) serves key:1, $(($(now_ms) - killed)) ms after the kill (polled every 0.5 s)"
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
