#!/usr/bin/env bash
# The consumer service end to end (decode, stage, dedup, 11 marts, one SQLite transaction per
# batch) beside a raw consume of the same topics by kcat, in the same run on the same broker;
# prints both rates, the ratio and the consumer's peak RSS.
# Usage: scripts/bench-consume.sh [PATIENTS] [EMR]   (a generated export; default 600 patients)
set -euo pipefail
PATIENTS=${1:-600}
EMR=${2:-.build/release/emr}
dir=$(mktemp -d)
source "$(dirname "$0")/lib.sh"
trap 'stop_broker; rm -rf "$dir"' EXIT
"$EMR" generate --out "$dir/export" --patients "$PATIENTS" --organizations $((PATIENTS / 8 + 1)) --seed 3 >/dev/null
start_broker "$EMR" "$dir"
B=$(cat "$dir/bootstrap")
"$EMR" produce --export "$dir/export" --all-facilities --brokers "$B" | tee "$dir/produce.txt"
N=$(grep -oE 'produced [0-9]+' "$dir/produce.txt" | grep -oE '[0-9]+')
TOPICS="emr.raw.organizations emr.raw.providers emr.raw.patients emr.raw.encounters emr.raw.conditions emr.raw.medications"

echo "== kcat -C: every raw topic, all partitions, $N messages"
t0=$(date +%s.%N)
got=0
for t in $TOPICS; do
  c=$(kcat -C -b "$B" -t "$t" -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)
  got=$((got + c))
done
t1=$(date +%s.%N)
echo "kcat read $got messages"

echo "== emr consume --exit-when-caught-up"
/usr/bin/time -v "$EMR" consume --state "$dir/state.sqlite" --brokers "$B" --exit-when-caught-up --quiet-period 1 \
  2>"$dir/time.txt" | tee "$dir/consume.txt"
grep -E "Maximum resident set size|Elapsed \(wall|User time|System time" "$dir/time.txt" | sed 's/^\s*/  /'
"$EMR" verify --state "$dir/state.sqlite" | tail -1
python3 - "$dir/consume.txt" "$got" "$t0" "$t1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
n = int(re.search(r'read (\d+)', text).group(1))
active = float(re.search(r'first to last message ([0-9.]+) s', text).group(1))
applying = float(re.search(r'applying ([0-9.]+) s', text).group(1))
got, t0, t1 = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
kcat = got / (t1 - t0)
print(f"emr consume (first to last message): {n / active:,.0f} rec/s  (SQLite work alone: {n / applying:,.0f} rec/s)")
print(f"kcat -C (6 processes, start-up included; at this size start-up dominates): {kcat:,.0f} msg/s")
print(f"ratio emr/kcat: {n / active / kcat:.3f}")
PY
