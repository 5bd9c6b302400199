#!/usr/bin/env bash
# Removes the port forwards (netavark's DNAT rules in iptables' nat table) of chaos containers that no longer exist.
# A container torn down uncleanly (a killed run, a podman service restarted under it) can leave its rules behind. They
# keep rewriting connections to its host ports, including 127.0.0.1, towards a container IP nobody answers, so any
# later server that happens to get one of those ephemeral ports is unreachable ("No route to host" or a connect
# timeout). That happened to the API of a unit test fixture in CI. Rules of running containers are kept. Prints what it
# removed; does nothing without iptables or podman.
set -uo pipefail
command -v iptables >/dev/null 2>&1 && command -v podman >/dev/null 2>&1 || exit 0
STATE=/var/lib/kuberaft-chaos
[ -f "$STATE/containers.conf" ] && export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"
live=$(podman ps -q --no-trunc 2>/dev/null) || exit 0
# Highest rule number first, so that deleting one does not renumber those still to delete.
iptables -t nat -L NETAVARK-HOSTPORT-DNAT -n --line-numbers 2>/dev/null | sort -rn | while read -r num rest; do
  [[ "$num" =~ ^[0-9]+$ ]] || continue
  id=$(sed -n 's/.* id: \([0-9a-f]\{64\}\).*/\1/p' <<<"$rest")
  [ -n "$id" ] || continue
  if ! grep -q "$id" <<<"$live"; then
    port=$(sed -n 's/.*dpt:\([0-9]*\).*/\1/p' <<<"$rest")
    iptables -t nat -D NETAVARK-HOSTPORT-DNAT "$num" && echo "stale-port-forwards: removed host port $port of gone container ${id:0:12}"
  fi
done
exit 0
