#!/usr/bin/env bash
# What HTTP reads cost the consumer: the same generated export consumed twice in one run, into
# two fresh state files (two groups), once with nobody reading and once with a dashboard's worth
# of polling (report, status, marts, quarantine every INTERVAL seconds; several "viewers").
# Prints both consume rates and their ratio, and the report's latency under load.
# Usage: scripts/bench-dashboard.sh [PATIENTS] [EMR] [INTERVAL] [VIEWERS]
set -euo pipefail
PATIENTS=${1:-600}
EMR=${2:-.build/release/emr}
INTERVAL=${3:-2}
VIEWERS=${4:-4}
dir=$(mktemp -d)
source "$(dirname "$0")/lib.sh"
pollers=()
trap 'for p in "${pollers[@]}"; do kill "$p" 2>/dev/null || true; done; stop_broker; rm -rf "$dir"' EXIT
"$EMR" generate --out "$dir/export" --patients "$PATIENTS" --organizations $((PATIENTS / 8 + 1)) --seed 3 >/dev/null
start_broker "$EMR" "$dir"
"$EMR" produce --export "$dir/export" --all-facilities >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run() {  # run NAME POLL(0/1)
  local name=$1 poll=$2 port
  port=$(free_port)
  "$EMR" consume --state "$dir/$name.sqlite" --group "bench-$name" --exit-when-caught-up --quiet-period 1 --http "127.0.0.1:$port" \
    >"$dir/$name.txt" 2>"$dir/$name.log" &
  local consumer=$!
  if [ "$poll" = 1 ]; then
    for _ in $(seq "$VIEWERS"); do
      ( while kill -0 $consumer 2>/dev/null; do
          for path in /api/v1/report /api/v1/status /api/v1/marts "/api/v1/quarantine?limit=10"; do
            curl -s -o /dev/null -w "%{time_total} $path\n" "http://127.0.0.1:$port$path" >>"$dir/latency.txt" 2>/dev/null || true
          done
          sleep "$INTERVAL"
        done ) &
      pollers+=($!)
    done
  fi
  wait $consumer
  grep -oE 'read [0-9]+.*rec/s' "$dir/$name.txt" | sed "s/^/$name: /"
}

echo "== $PATIENTS patients; consumer alone, then with $VIEWERS dashboard viewers polling every $INTERVAL s"
run closed 0
run open 1
python3 - "$dir" <<'PY'
import re, sys, statistics
d = sys.argv[1]
rate = lambda n: float(re.search(r'([0-9.]+) rec/s', open(f"{d}/{n}.txt").read()).group(1))
closed, opened = rate("closed"), rate("open")
print(f"consume rate: dashboard closed {closed:.0f} rec/s, open {opened:.0f} rec/s, ratio open/closed {opened / closed:.2f}")
lat = [float(l.split()[0]) * 1000 for l in open(f"{d}/latency.txt") if l.split()[1] == "/api/v1/report"]
if lat:
    lat.sort()
    print(f"/api/v1/report while consuming: {len(lat)} requests, median {statistics.median(lat):.0f} ms, slowest {lat[-1]:.0f} ms")
PY
