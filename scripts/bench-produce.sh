#!/usr/bin/env bash
# emr produce --all-facilities on an export (release build) beside kcat -P publishing the same
# number of equally sized messages to the same broker in the same run; prints rates and the
# producer's peak RSS. Usage: scripts/bench-produce.sh EXPORT_DIR [EMR]
set -euo pipefail
EXPORT=${1:?export directory}
EMR=${2:-.build/release/emr}
dir=$(mktemp -d)
source "$(dirname "$0")/lib.sh"
trap 'stop_broker; rm -rf "$dir"' EXIT
start_broker "$EMR" "$dir"
B=$(cat "$dir/bootstrap")
echo "== emr produce --all-facilities $EXPORT"
/usr/bin/time -v "$EMR" produce --export "$EXPORT" --all-facilities --brokers "$B" 2>"$dir/time.txt" | tee "$dir/emr.txt"
grep -E "Maximum resident set size|Elapsed \(wall" "$dir/time.txt" | sed 's/^\s*/  /'
read -r N SIZE < <(python3 -c "
import re,sys
t=open('$dir/emr.txt').read()
m=re.search(r'produced (\d+) records \(avg (\d+) B\)', t)
print(m.group(1), m.group(2))")
python3 -c "
import sys
n,size=$N,$SIZE
sys.stdout.write(('x'*size+'\n')*n)" > "$dir/msgs"
echo "== kcat -P: $N messages of $SIZE B (idempotent, acks=all, lz4), same broker"
t0=$(date +%s.%N)
kcat -P -b "$B" -t emr.bench.kcat -X enable.idempotence=true -X acks=all -X compression.codec=lz4 -X linger.ms=5 < "$dir/msgs"
t1=$(date +%s.%N)
python3 -c "
import re
t=open('$dir/emr.txt').read()
secs=float(re.search(r'in ([0-9.]+) s', t).group(1))
n=$N; k=n/($t1-$t0)
print(f'emr produce (whole run: slicing + publishing + flush): {n/secs:,.0f} rec/s')
print(f'kcat -P (process start included):                    {k:,.0f} msg/s')
print(f'ratio emr/kcat: {n/secs/k:.2f}')"
