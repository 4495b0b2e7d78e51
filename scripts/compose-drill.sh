#!/usr/bin/env bash
# A failover drill against a running compose lab (deploy/docker-compose.yml):
#
#   scripts/compose-drill.sh kill        docker kill the primary of a key, then start it again
#   scripts/compose-drill.sh partition   cut it off the network (docker network disconnect)
#                                        for 15 s, then connect it again
#
# While it runs, a client writes through the proxy (a SET every 20 ms); the drill
# reports how long the key's slot had no primary, the writes refused or unanswered
# meanwhile, and whether every acknowledged write is still there after the old
# primary came back as a replica. Environment: SHOAL_NET (10.89.0), COMPOSE_PROJECT
# (shoal: the -p given to docker-compose), PARTITION_SECONDS (15).
set -euo pipefail
cd "$(dirname "$0")/.."

drill=${1:-kill}
[[ $drill == kill || $drill == partition ]] || { echo "usage: $0 kill|partition" >&2; exit 2; }
export SHOAL_NET=${SHOAL_NET:-10.89.0}
project=${COMPOSE_PROJECT:-shoal}
. scripts/compose-lib.sh
why=$(compose_cmd) || { echo "compose-drill: $why" >&2; exit 1; }
compose_cmd
[ "$(redis-cli -p 7200 PING 2>/dev/null)" = PONG ] || fail "no lab answers on localhost:7200 (docker-compose -f deploy/docker-compose.yml -p $project up -d)"

key=drill
redis-cli -p 7200 SET "$key" before >/dev/null
first=$(owner "$key") || fail "no node serves $key"
victim=$(service_of "$first") || fail "$first is not a lab node"
container=$(dc ps -q "$victim")
log "$key is served by $victim ($first)"

# The writer: SET drill:<n> n every 20 ms through the proxy; acknowledged ones go to
# $acked, failures to $failed.
work=$(mktemp -d)
trap 'kill "$writer" 2>/dev/null || true; rm -rf "$work"' EXIT
acked=$work/acked failed=$work/failed
: >"$acked"
: >"$failed"
(
	n=0
	while :; do
		n=$((n + 1))
		if [ "$(timeout 5 redis-cli -p 7200 SET "$key:{$key}:$n" "$n" 2>&1)" = OK ]; then
			echo "$n" >>"$acked"
		else
			echo "$n" >>"$failed"
		fi
		sleep 0.02
	done
) &
writer=$!
sleep 1

start=$(now_ms)
case $drill in
kill)
	docker kill "$container" >/dev/null
	log "killed $victim"
	;;
partition)
	network=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$container" | awk '{print $1}')
	docker network disconnect "$network" "$container"
	log "cut $victim off the network $network"
	;;
esac
moved() { o=$(owner "$key") && [ "$o" != "$first" ]; }
waitfor "a replica promoted: $key served again" 60 moved
log "$(owner "$key") serves $key $(($(now_ms) - start)) ms after the $drill (polled every 0.5 s)"

case $drill in
kill) dc start "$victim" >/dev/null 2>&1 ;;
partition)
	sleep "${PARTITION_SECONDS:-15}"
	docker network connect --ip "${first%:*}" "$network" "$container"
	log "connected $victim again"
	;;
esac
back() { redis-cli -h "${first%:*}" -p "${first#*:}" ROLE | head -1 | grep -qx slave; }
waitfor "$victim back as a replica" 90 back
sleep 1
kill "$writer"
wait "$writer" 2>/dev/null || true

lost=0
while read -r n; do
	[ "$(redis-cli -p 7200 GET "$key:{$key}:$n")" = "$n" ] || lost=$((lost + 1))
done <"$acked"
log "writes: $(wc -l <"$acked") acknowledged, $(wc -l <"$failed") refused or unanswered; acknowledged writes lost: $lost"
log "(shard-durability async, the default, may lose the last writes a killed primary acknowledged; safe loses none)"
