#!/usr/bin/env bash
# The whole matrix: workloads x nemeses x 3 and 5 replicas, TIME seconds each (default 120).
# Long: 7 workloads x 13 nemesis sets x 2 sizes x ~(TIME + 40) s, about 7.5 hours at the default.
# node-lifecycle judges timings on the servers' clocks: it runs without clock-skew (not meaningful there).
# Narrow it with MASTERS="3", WORKLOADS="register-kube watch", NEMESES="kill-leader pause-leader".
# Results in chaos/target/suite/<run>/, and one table of every run in chaos/target/suite/summary-<seed>.md.
# Usage: chaos/run-suite.sh [TIME] ; CHAOS_SEED fixes the seed of every run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TIME="${1:-120}"
ALL_NEMESES="kill-leader,kill-majority,pause-leader,partition-majority,partition-leader,partition-bridge,partition-oneway,loss,clock-skew,membership"
MASTERS="${MASTERS:-3 5}"
WORKLOADS="${WORKLOADS:-register-kube register-etcd set-kube set-etcd watch controllers node-lifecycle}"
NEMESES="${NEMESES:-kill-leader kill-random kill-majority rolling-restart pause-leader partition-majority partition-leader partition-bridge partition-oneway loss clock-skew membership $ALL_NEMESES}"
mvn -B -q -pl chaos -am package -DskipTests
eval "$(chaos/setup.sh)"
export KUBERAFT_NO_BUILD=1
OUT="$ROOT/chaos/target/suite"
SEED="${CHAOS_SEED:-$(date +%s)}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary-$SEED.md"
# Another suite with the same seed (narrowed differently) adds its rows to the same table.
if [ ! -f "$SUMMARY" ]; then
  echo "| replicas | workload | nemesis | valid | ops | nemesis events | anomalies | seconds |" >"$SUMMARY"
  echo "|---|---|---|---|---|---|---|---|" >>"$SUMMARY"
fi
failed=()
t0=$(date +%s)
for masters in $MASTERS; do
  for workload in $WORKLOADS; do
    for nemesis in $NEMESES; do
      if [ "$workload" = node-lifecycle ]; then
        [ "$nemesis" = clock-skew ] && continue
        nemesis="${nemesis/,clock-skew/}"
      fi
      before=$(ls "$OUT")
      # A rolling restart holds ~38 s after 4-8 s of quiet: shorter runs would never start one.
      time="$TIME"
      [ "$nemesis" = rolling-restart ] && [ "$time" -lt 50 ] && time=50
      ./kuberaft chaos --workload "$workload" --nemesis "$nemesis" --time "$time" --masters "$masters" --seed "$SEED" --out "$OUT" \
        || failed+=("$workload/$nemesis/$masters")
      run=$(comm -13 <(echo "$before") <(ls "$OUT") | grep -v '^summary-' | head -1 || true)
      label=$([ "$nemesis" = "$ALL_NEMESES" ] && echo "all but kill-random/rolling-restart" || echo "$nemesis")
      if [ -n "$run" ] && [ -f "$OUT/$run/results.json" ]; then
        jq -r --arg w "$workload" --arg n "$label" --arg m "$masters" \
          '"| \($m) | \($w) | \($n) | \(.valid) | \(.ops) | \(.["nemesis-events"]) | \(.anomalies | length) | \(.["wall-seconds"]) |"' \
          "$OUT/$run/results.json" >>"$SUMMARY"
      else
        echo "| $masters | $workload | $label | no results | | | | |" >>"$SUMMARY"
      fi
    done
  done
done
echo "run-suite: seed $SEED; ${#failed[@]} failing runs: ${failed[*]:-none}; $(( $(date +%s) - t0 )) s; table in $SUMMARY"
[ ${#failed[@]} -eq 0 ]
