#!/usr/bin/env bash
# The short chaos matrix for CI (about 9 minutes on the 2-core build machine): builds the distribution,
# prepares podman (setup.sh), then five 40-second runs and one 60-second node-lifecycle run (an agent fault
# long enough to need a taint and evictions fits only in that) on 3 replicas. Fails on any anomaly.
# Results: chaos/target/ci/<run>/{results.json,history.jsonl,report.html,m*.log}.
# CHAOS_SEED fixes the seed of every run (default: the time; printed, and in each results.json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
t0=$(date +%s)
mvn -B -q -pl chaos -am package -DskipTests
eval "$(chaos/setup.sh)"
export KUBERAFT_NO_BUILD=1
OUT="$ROOT/chaos/target/ci"
SEED="${CHAOS_SEED:-$(date +%s)}"
echo "ci-short: seed $SEED (build + setup $(( $(date +%s) - t0 )) s)"
rc=0
n=0
failed=()
mkdir -p "$OUT"
run() {
  local t=$(date +%s) code
  n=$((n + 1))
  # each run's output is kept so that a failure can be summed up at the end (CI shows only the tail of the log)
  set +e
  ./kuberaft chaos --time "${TIME:-40}" --masters 3 --seed "$SEED" --out "$OUT" "$@" 2>&1 | tee "$OUT/run-$n.log"
  code=${PIPESTATUS[0]}
  set -e
  echo "ci-short: $* took $(( $(date +%s) - t )) s (exit $code)"
  if [ "$code" -ne 0 ]; then
    rc=1
    failed+=("$* (exit $code): $(grep -v -e '^ts=' -e '^[[:space:]]*at ' "$OUT/run-$n.log" | grep -v PullResponseItem | grep -E 'valid=|Exception|rror|chaos:' | tail -3 | tr '\n' ' ')")
  fi
}
run --workload register --nemesis kill-leader,kill-random,kill-majority
run --workload register --nemesis partition-majority,partition-leader,pause-leader,partition-bridge,partition-oneway
run --workload set-kube --nemesis kill-leader,loss,clock-skew,membership
run --workload watch --nemesis kill-leader,partition-leader,pause-leader
run --workload controllers --nemesis kill-leader,pause-leader,partition-leader
TIME=60 run --workload node-lifecycle --nemesis kill-leader,pause-leader
leftover=$(podman ps -aq --filter name=kuberaft-chaos- | wc -l)
chaos/stale-port-forwards.sh
[ "$leftover" -eq 0 ] || { echo "ci-short: $leftover chaos containers left behind"; rc=1; }
for f in "${failed[@]}"; do echo "ci-short: FAILED $f"; done
echo "ci-short: seed $SEED, $( [ $rc -eq 0 ] && echo PASS || echo FAIL ) in $(( $(date +%s) - t0 )) s; results in $OUT"
exit $rc
