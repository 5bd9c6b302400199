#!/usr/bin/env bash
# The short chaos matrix for CI (about 8 minutes on the 2-core build machine): builds the distribution,
# prepares podman (setup.sh), then three 40-second runs on 3 replicas. Fails on any anomaly.
# Results: chaos/target/ci/<run>/{results.json,history.jsonl,report.html,m*.log}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -pl chaos -am package -DskipTests
eval "$(chaos/setup.sh)"
export KUBERAFT_NO_BUILD=1
OUT="$ROOT/chaos/target/ci"
SEED="${CHAOS_SEED:-$(date +%s)}"
rc=0
./kuberaft chaos --workload register --nemesis kill-leader,kill-random --time 40 --masters 3 --seed "$SEED" --out "$OUT" || rc=1
./kuberaft chaos --workload register --nemesis partition-majority,partition-leader,pause-leader --time 40 --masters 3 --seed "$SEED" --out "$OUT" || rc=1
./kuberaft chaos --workload set-kube --nemesis kill-leader,loss --time 40 --masters 3 --seed "$SEED" --out "$OUT" || rc=1
leftover=$(podman ps -aq --filter name=kuberaft-chaos- | wc -l)
[ "$leftover" -eq 0 ] || { echo "ci-short: $leftover chaos containers left behind" >&2; rc=1; }
echo "ci-short: seed $SEED, $( [ $rc -eq 0 ] && echo PASS || echo FAIL ); results in $OUT"
exit $rc
