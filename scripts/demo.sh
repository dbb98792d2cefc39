#!/usr/bin/env bash
# The end-to-end demo on the embedded broker: generate a sample export, start the broker with
# the declared topics, publish every facility's slice, and read the topics back.
# The consumer service and the marts are the next step of the project; the demo grows with them.
set -euo pipefail
EMR=${1:-.build/debug/emr}
out=demo-out
mkdir -p "$out"
source "$(dirname "$0")/lib.sh"
echo "== generating a sample Synthea export (200 patients, 25 facilities, seed 1)"
"$EMR" generate --out "$out/export" --patients 200 --organizations 25 --seed 1
trap stop_broker EXIT
start_broker "$EMR" "$out"
echo "== embedded broker at $EMR_BROKERS; declared topics:"
"$EMR" topics verify
echo "== publishing every facility's slice in event-time order"
"$EMR" produce --export "$out/export" --all-facilities
echo "== what the topics hold (kcat -L, then one encounter message)"
kcat -L -b "$EMR_BROKERS" | grep 'topic "emr' || true
kcat -C -b "$EMR_BROKERS" -t emr.raw.encounters -p 0 -o beginning -c 1 -e -q \
  -f 'key: %k\nheaders: %h\nvalue: %s\n' 2>/dev/null || true
echo "== demo done; the export is in $out/export, the broker log in $out/broker.log"
