#!/usr/bin/env bash
# Produce/consume rates of the project's Kafka layer beside kcat, same broker, same run,
# same number of equally sized messages.
set -euo pipefail
EMR=${1:-.build/release/emr}
N=${N:-200000}
SIZE=${SIZE:-600}
dir=$(mktemp -d)
source "$(dirname "$0")/lib.sh"
trap 'stop_broker; rm -rf "$dir"' EXIT
start_broker "$EMR" "$dir"
B=$(cat "$dir/bootstrap")
echo "== emr (idempotent, acks=all, lz4): $N x $SIZE B"
"$EMR" bench kafka --brokers "$B" --topic emr.bench.swift --messages "$N" --size "$SIZE" | tee "$dir/emr.txt"
python3 - "$N" "$SIZE" > "$dir/msgs" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
line = "x" * size + "\n"
sys.stdout.write(line * n)
PY
echo "== kcat (same settings) $N x $SIZE B"
t0=$(date +%s.%N)
kcat -P -b "$B" -t emr.bench.kcat -X enable.idempotence=true -X acks=all -X compression.codec=lz4 -X linger.ms=5 < "$dir/msgs"
t1=$(date +%s.%N)
kcat -C -b "$B" -t emr.bench.kcat -o beginning -e -q -c "$N" > /dev/null
t2=$(date +%s.%N)
python3 - "$N" "$t0" "$t1" "$t2" "$dir/emr.txt" <<'PY'
import sys, re
n = int(sys.argv[1]); t0, t1, t2 = map(float, sys.argv[2:5])
kp, kc = n / (t1 - t0), n / (t2 - t1)
text = open(sys.argv[5]).read()
ep = float(re.search(r"produce: .*= (\d+) msg/s", text).group(1))
ec = float(re.search(r"consume: .*= (\d+) msg/s", text).group(1))
print(f"kcat produce: {kp:,.0f} msg/s   kcat consume: {kc:,.0f} msg/s (process start included)")
print(f"emr/kcat produce ratio: {ep / kp:.2f}   emr/kcat consume ratio: {ec / kc:.2f}")
PY
