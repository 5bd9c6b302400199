#!/usr/bin/env bash
# The whole matrix: workloads x nemeses x 3 and 5 replicas, TIME seconds each (default 120).
# Long: 5 workloads x 12 nemesis sets x 2 sizes x ~(TIME + 60) s. Results in chaos/target/suite/<run>/.
# Usage: chaos/run-suite.sh [TIME] ; CHAOS_SEED fixes the seed of every run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TIME="${1:-120}"
mvn -B -q -pl chaos -am package -DskipTests
eval "$(chaos/setup.sh)"
export KUBERAFT_NO_BUILD=1
OUT="$ROOT/chaos/target/suite"
SEED="${CHAOS_SEED:-$(date +%s)}"
failed=()
for masters in 3 5; do
  for workload in register-kube register-etcd set-kube set-etcd watch; do
    for nemesis in kill-leader kill-random kill-majority rolling-restart pause-leader partition-majority partition-leader \
                   partition-bridge partition-oneway loss clock-skew \
                   kill-leader,kill-majority,pause-leader,partition-majority,partition-leader,partition-bridge,partition-oneway,loss,clock-skew; do
      ./kuberaft chaos --workload "$workload" --nemesis "$nemesis" --time "$TIME" --masters "$masters" --seed "$SEED" --out "$OUT" \
        || failed+=("$workload/$nemesis/$masters")
    done
  done
done
echo "run-suite: seed $SEED; ${#failed[@]} failing runs: ${failed[*]:-none}; results in $OUT"
[ ${#failed[@]} -eq 0 ]
