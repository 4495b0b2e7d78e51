#!/usr/bin/env bash
# Checks the package dependency direction of DESIGN.md (docs/ARCHITECTURE.md):
#   slots, storage and sds import nothing of ours; storage/... only storage, its
#   sub-packages and sds;
#   node/* sub-packages import no node parent and no cluster roles;
#   nothing imports cmd; failover and proxy never import node (nor each other)
#   but may use sentinelapi (the sentinels' client, e.g. one sentinel asking another);
#   sentinelapi (the sentinels' RESP API, client side) imports only slots; admin
#   (shoal cluster) only slots and sentinelapi.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
while read -r pkg imports; do
	rel=${pkg#"$mod"}
	rel=${rel#/}
	for imp in $imports; do
		case $imp in "$mod"*) ;; *) continue ;; esac
		irel=${imp#"$mod"/}
		bad=""
		case $rel in
			slots|slots/*|storage|sds) bad="imports nothing of shoal's" ;;
			storage/*) [[ $irel == storage || $irel == storage/* || $irel == sds ]] || bad="may import only storage, its sub-packages and sds" ;;
			node/glob|node/resp|node/spec) bad="imports nothing of shoal's" ;;
			node/conf) [[ $irel == node/glob || $irel == sds ]] || bad="may import only node/glob and sds" ;;
			failover*|proxy*)
				case $irel in slots*|gossip*|sentinelapi|node/spec|node/resp|node/conf|node/glob) ;; *) bad="may import slots, gossip, sentinelapi, node/spec, node/resp, node/conf" ;; esac ;;
			gossip*) [[ $irel == slots* ]] || bad="may import only slots" ;;
			node) case $irel in storage*|slots*|gossip*|sentinelapi|node/*) ;; *) bad="may import storage, slots, gossip, sentinelapi and node/..." ;; esac ;;
			sentinelapi) [[ $irel == slots ]] || bad="may import only slots" ;;
			admin) case $irel in slots|sentinelapi) ;; *) bad="may import only slots and sentinelapi" ;; esac ;;
		esac
		[[ $irel == cmd* ]] && bad="nothing imports cmd"
		if [[ -n $bad ]]; then
			echo "dependency direction: $rel imports $irel ($rel $bad)"
			fail=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
exit $fail
