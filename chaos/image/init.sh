#!/bin/sh
# PID 1 of a chaos container: keeps `kuberaft $KUBERAFT_COMMAND "$@"` running (server by default; the node-agent
# and load-balancer containers set agent / lb), restarting it unless
# /tmp/hold exists (the kill nemesis: touch /tmp/hold, kill -9 the JVM; the restart removes the file).
# SIGTERM stops the JVM and exits at once (no 10 s stop timeout).
# /tmp/extra-args, when present, is appended to the arguments (the membership nemesis: --join after a removal).
# KUBERAFT_FAKETIME=<path of libfaketime.so.1>: the JVM runs with it preloaded, its wall clock offset
# read from /tmp/faketime (the clock-skew nemesis writes e.g. "+120"; monotonic time is not faked).
JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
DIST=${DIST:-/opt/kuberaft}
CMD=${KUBERAFT_COMMAND:-server}
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; exit 0' TERM INT
mkdir -p /data
PRELOAD=
if [ -n "$KUBERAFT_FAKETIME" ]; then
  [ -f /tmp/faketime ] || echo +0 > /tmp/faketime
  # FAKETIME_FORCE_MONOTONIC_FIX=0: with the fix (auto-enabled on this glibc) every JVM timed wait returned at
  # once and the replicas spun (a 4 s wait took 130 ms; the server never finished starting).
  PRELOAD="LD_PRELOAD=$KUBERAFT_FAKETIME FAKETIME_TIMESTAMP_FILE=/tmp/faketime FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 FAKETIME_CACHE_DURATION=1"
fi
while true; do
  if [ ! -f /tmp/hold ]; then
    EXTRA=$(cat /tmp/extra-args 2>/dev/null)
    echo "init: starting kuberaft $CMD $* $EXTRA" >> /data/server.log
    env $PRELOAD $JAVA $JAVA_OPTS -cp "$DIST/cli/target/kuberaft-cli.jar:$DIST/cli/target/lib/*" io.kuberaft.cli.Main "$CMD" "$@" $EXTRA >> /data/server.log 2>&1 &
    pid=$!
    echo $pid > /tmp/java.pid
    wait $pid
    echo "init: $CMD exited ($?)" >> /data/server.log
    pid=
  fi
  sleep 0.2
done
