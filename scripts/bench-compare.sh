#!/usr/bin/env bash
# Two (or more) emr builds' consumers over the same topics, alternating, for changes smaller
# than a shared machine's noise: the export is generated and published once, then each build's
# `emr consume --exit-when-caught-up` runs ROUNDS times in turn (A B A B ...) into a fresh state
# file and consumer group, and the medians are printed: records/s (first to last message), the
# applying thread's CPU per run (steadier than wall clock) and peak RSS. Every state file is
# checked with `emr verify` by the build that wrote it.
# Usage: scripts/bench-compare.sh ROUNDS PATIENTS EMR_A EMR_B [EMR_C ...]
#   e.g. scripts/bench-compare.sh 4 600 /tmp/emr-before .build/release/emr
# More than 1,500 patients get 48 partitions per raw topic (the embedded broker keeps about
# 5 MiB per partition).
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS=$1 PATIENTS=$2
shift 2
builds=("$@")
for emr in "${builds[@]}"; do [ -x "$emr" ] || { echo "bench-compare: $emr is not an executable" >&2; exit 2; }; done
dir=$(mktemp -d)
source "$(dirname "$0")/lib.sh"
trap 'stop_broker; rm -rf "$dir"' EXIT
topics=()
if [ "$PATIENTS" -gt 1500 ]; then
  mkdir "$dir/topics"
  for f in "$(dirname "$0")"/../topics/*.properties; do
    case $(basename "$f") in
      emr.raw.*) sed 's/^partitions=.*/partitions=48/' "$f" >"$dir/topics/$(basename "$f")" ;;
      *) cp "$f" "$dir/topics/" ;;
    esac
  done
  topics=(--topics "$dir/topics")
fi
"${builds[0]}" generate --out "$dir/export" --patients "$PATIENTS" --organizations $((PATIENTS / 8 + 1)) --seed 3 >/dev/null
start_broker "${builds[0]}" "$dir" "${topics[@]}"
"${builds[0]}" produce --export "$dir/export" --all-facilities "${topics[@]}" >/dev/null 2>"$dir/produce.log" \
  || { echo "bench-compare: publishing failed:" >&2; tail -5 "$dir/produce.log" >&2; exit 1; }
echo "published $PATIENTS patients once; $ROUNDS rounds of ${#builds[@]} builds"
run=0
for round in $(seq "$ROUNDS"); do
  for i in "${!builds[@]}"; do
    run=$((run + 1))
    emr=${builds[$i]}
    "$emr" consume --state "$dir/s$run.sqlite" --group "compare-$run" "${topics[@]}" --exit-when-caught-up --quiet-period 1 \
      >"$dir/c$run.txt" 2>"$dir/c$run.log" || { echo "bench-compare: $emr consume failed (round $round):" >&2; tail -5 "$dir/c$run.log" >&2; exit 1; }
    "$emr" verify --state "$dir/s$run.sqlite" >"$dir/v$run.txt" 2>&1 || { echo "bench-compare: verify found differences in $emr's state:" >&2; cat "$dir/v$run.txt" >&2; exit 1; }
    line=$(grep '^consume: read' "$dir/c$run.txt" | tail -1)
    rate=$(sed -E 's/.* ([0-9]+) rec\/s.*/\1/' <<<"$line")
    batches=$(sed -E 's/.* in ([0-9]+) batches.*/\1/' <<<"$line")
    cpu=$(sed -E 's/.*applying CPU ([0-9.]+) ms.*/\1/' <<<"$line")
    rss=$(sed -E 's/.*peak RSS ([0-9]+) MB.*/\1/' <<<"$line")
    awk -v b="$i" -v r="$rate" -v c="$cpu" -v n="$batches" -v m="$rss" 'BEGIN { printf "%s %s %.0f %s\n", b, r, c * n, m }' >>"$dir/figures"
    echo "round $round, build $((i + 1)) ($emr): $rate records/s, applying CPU $(awk -v c="$cpu" -v n="$batches" 'BEGIN { printf "%.0f", c * n }') ms, peak RSS $rss MB"
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for i in "${!builds[@]}"; do
  rate=$(awk -v b="$i" '$1 == b { print $2 }' "$dir/figures" | median)
  cpu=$(awk -v b="$i" '$1 == b { print $3 }' "$dir/figures" | median)
  rss=$(awk -v b="$i" '$1 == b { print $4 }' "$dir/figures" | sort -n | tail -1)
  echo "build $((i + 1)) (${builds[$i]}): median $rate records/s, median applying CPU $cpu ms per run, peak RSS up to $rss MB"
done
