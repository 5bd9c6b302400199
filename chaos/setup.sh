#!/usr/bin/env bash
# Prepares this machine for the chaos tests (idempotent): podman + runc + iptables from Debian, a
# containers.conf that works here (runc, ulimits within the hard limit, cgroupfs, file events), the
# podman API service on a unix socket, and the local image `kuberaft-chaos` (busybox + the shared
# libraries the host JDK, RocksDB and iptables need; the JDK and the kuberaft distribution are
# bind-mounted read-only at run time). Prints the environment the tests need; eval it:
#   eval "$(chaos/setup.sh)"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${KUBERAFT_CHAOS_STATE:-/var/lib/kuberaft-chaos}"
SOCK="$STATE/podman.sock"
JDK=/usr/lib/jvm/java-17-openjdk-amd64
log() { echo "setup: $*" >&2; }

need=()
for b in podman runc busybox iptables curl unzip; do command -v "$b" >/dev/null || need+=("$b"); done
# libfaketime: the clock-skew nemesis preloads it into the replicas' JVMs (bind-mounted from the host)
[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need+=(libfaketime)
if [ ${#need[@]} -gt 0 ]; then
  log "installing podman runc busybox-static iptables libfaketime curl unzip"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc busybox-static iptables netavark aardvark-dns libfaketime curl unzip >&2
fi

mkdir -p "$STATE"
cat > "$STATE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
cat > "$STATE/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
CONF
export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"

# A service whose working directory was deleted (started from a worktree or clone that is gone) cannot start
# containers: conmon inherits the cwd ("Failed to get working directory") and podman answers 500 "write child:
# broken pipe". Restart such a service; start new ones from $STATE, which stays.
old_pid=$(cat "$STATE/podman-service.pid" 2>/dev/null || true)
if [ -n "$old_pid" ] && [ -e "/proc/$old_pid" ] && readlink "/proc/$old_pid/cwd" | grep -q '(deleted)'; then
  log "podman service $old_pid runs in a deleted directory; restarting it"
  kill "$old_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -e "/proc/$old_pid" ] || break; sleep 0.1; done
  rm -f "$SOCK"
fi
if ! curl -sf --unix-socket "$SOCK" http://d/v1.41/_ping >/dev/null 2>&1; then
  log "starting podman system service on $SOCK"
  rm -f "$SOCK"
  (cd "$STATE" && { setsid nohup podman system service --time=0 "unix://$SOCK" > "$STATE/podman-service.log" 2>&1 < /dev/null &
    echo $! > "$STATE/podman-service.pid"; })
  for _ in $(seq 1 50); do curl -sf --unix-socket "$SOCK" http://d/v1.41/_ping >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf --unix-socket "$SOCK" http://d/v1.41/_ping >/dev/null || { log "podman service did not come up; see $STATE/podman-service.log"; exit 1; }
fi

# The image: tagged with a hash of this script and init.sh, so checkouts with different versions of them
# (worktrees on one machine) each get their own and never rebuild each other's.
STAMP=$(cat "$0" "$ROOT/chaos/image/init.sh" | sha256sum | cut -c1-16)
IMAGE=localhost/kuberaft-chaos:$STAMP
if [ "$(podman image inspect --format '{{index .Labels "stamp"}}' "$IMAGE" 2>/dev/null || true)" != "$STAMP" ]; then
  log "building $IMAGE"
  R=$(mktemp -d)
  trap 'rm -rf "$R"' EXIT
  mkdir -p "$R"/{bin,sbin,etc,tmp,data,opt/kuberaft,proc,sys,dev,run,usr/lib/jvm/java-17-openjdk-amd64,usr/sbin,usr/bin}
  chmod 1777 "$R/tmp"
  cp /bin/busybox "$R/bin/busybox"
  for app in $(/bin/busybox --list); do [ -e "$R/bin/$app" ] || ln -s busybox "$R/bin/$app"; done
  # Shared libraries of the JDK (every .so), RocksDB's JNI library and iptables (nft and legacy).
  libs=$(mktemp)
  find "$JDK" -name '*.so' -o -path '*/bin/*' -type f | while read -r f; do ldd "$f" 2>/dev/null || true; done >> "$libs"
  RJAR=$(ls "$ROOT"/cli/target/lib/rocksdbjni-*.jar 2>/dev/null | head -1 || true)
  if [ -n "$RJAR" ]; then
    unzip -p "$RJAR" librocksdbjni-linux64.so > "$R/tmp/r.so" 2>/dev/null && ldd "$R/tmp/r.so" >> "$libs" || true
    rm -f "$R/tmp/r.so"
  fi
  for b in /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables/*.so; do
    [ -e "$b" ] && { ldd "$b" >> "$libs" 2>/dev/null || true; cp -L --parents "$b" "$R"; }
  done
  grep -o '/[^ ]*\.so[^ ]*' "$libs" | sort -u | while read -r l; do [ -e "$l" ] && cp -L --parents "$l" "$R"; done
  rm -f "$libs"
  cp -L --parents /lib64/ld-linux-x86-64.so.2 "$R"
  for t in iptables iptables-save iptables-restore; do ln -sf /usr/sbin/xtables-legacy-multi "$R/usr/sbin/$t"; done
  for t in iptables-nft iptables-nft-save; do ln -sf /usr/sbin/xtables-nft-multi "$R/usr/sbin/$t"; done
  cp -rL /etc/java-17-openjdk "$R/etc/"
  mkdir -p "$R/etc/ssl/certs/java" && cp -L /etc/ssl/certs/java/cacerts "$R/etc/ssl/certs/java/" 2>/dev/null || true
  echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
  echo 'root:x:0:' > "$R/etc/group"
  cp "$ROOT/chaos/image/init.sh" "$R/init.sh" && chmod 755 "$R/init.sh"
  tar -C "$R" -c . | podman import --change "LABEL stamp=$STAMP" --change 'ENTRYPOINT ["/init.sh"]' - "$IMAGE" >&2
  log "image $IMAGE built ($(du -sh "$R" | cut -f1))"
fi

"$ROOT/chaos/stale-port-forwards.sh" >&2

cat <<ENV
export DOCKER_HOST=unix://$SOCK
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export CONTAINERS_CONF=$STATE/containers.conf
export CONTAINERS_STORAGE_CONF=$STATE/storage.conf
export KUBERAFT_CHAOS_IMAGE=$IMAGE
ENV
