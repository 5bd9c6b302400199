#!/bin/sh
# PID 1 of a chaos replica container: keeps `kuberaft server "$@"` running, restarting it unless
# /tmp/hold exists (the kill nemesis: touch /tmp/hold, kill -9 the JVM; the restart removes the file).
# SIGTERM stops the JVM and exits at once (no 10 s stop timeout).
JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
DIST=${DIST:-/opt/kuberaft}
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; exit 0' TERM INT
mkdir -p /data
while true; do
  if [ ! -f /tmp/hold ]; then
    echo "init: starting kuberaft server $*" >> /data/server.log
    $JAVA $JAVA_OPTS -cp "$DIST/cli/target/kuberaft-cli.jar:$DIST/cli/target/lib/*" io.kuberaft.cli.Main server "$@" >> /data/server.log 2>&1 &
    pid=$!
    echo $pid > /tmp/java.pid
    wait $pid
    echo "init: server exited ($?)" >> /data/server.log
    pid=
  fi
  sleep 0.2
done
