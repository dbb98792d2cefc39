#!/usr/bin/env bash
# A screenshot of the live dashboard: runs the demo's pipeline (generated export, embedded
# broker, every facility, consumer) with its HTTP server on a free port, then headless
# Chromium (Debian package `chromium`) renders `/` into a PNG.
# Usage: scripts/dashboard-screenshot.sh OUT.png [EMR] [WIDTHxHEIGHT]
set -euo pipefail
OUT=${1:?usage: scripts/dashboard-screenshot.sh OUT.png [EMR] [WIDTHxHEIGHT]}
EMR=${2:-.build/debug/emr}
SIZE=${3:-1400x2300}
command -v chromium >/dev/null || { echo "dashboard-screenshot: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EMR" demo --out "$dir/demo" --http "127.0.0.1:$port" >"$dir/demo.log" 2>&1 &
demo=$!
trap 'kill -INT $demo 2>/dev/null; wait $demo 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 240); do
  grep -q "serving the dashboard until Ctrl-C" "$dir/demo.log" && break
  kill -0 $demo 2>/dev/null || { cat "$dir/demo.log" >&2; exit 1; }
  sleep 0.5
done
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${SIZE/x/,}" --virtual-time-budget=6000 \
  --screenshot="$OUT" "http://127.0.0.1:$port/" 2>/dev/null
echo "dashboard-screenshot: $OUT"
