#!/usr/bin/env bash
# The whole matrix: workloads x nemeses x 3 and 5 replicas, TIME seconds each (default 120).
# Long: 4 workloads x 7 nemesis sets x 2 sizes x ~(TIME + 60) s. Results in chaos/target/suite/<run>/.
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
  for workload in register-kube register-etcd set-kube set-etcd; do
    for nemesis in kill-leader kill-random pause-leader partition-majority partition-leader loss \
                   kill-leader,pause-leader,partition-majority,partition-leader,loss; do
      ./kuberaft chaos --workload "$workload" --nemesis "$nemesis" --time "$TIME" --masters "$masters" --seed "$SEED" --out "$OUT" \
        || failed+=("$workload/$nemesis/$masters")
    done
  done
done
echo "run-suite: seed $SEED; ${#failed[@]} failing runs: ${failed[*]:-none}; results in $OUT"
[ ${#failed[@]} -eq 0 ]
