#!/usr/bin/env bash
# The end-to-end demo on the embedded broker. Today it shows the foundation: the broker with the
# declared topics, topics verified, and a produce/consume round trip through the Kafka layer.
set -euo pipefail
EMR=${1:-.build/debug/emr}
out=demo-out
mkdir -p "$out"
bootstrap="$out/bootstrap"
rm -f "$bootstrap"
"$EMR" broker --bootstrap-file "$bootstrap" >"$out/broker.log" 2>&1 &
broker=$!
trap 'kill -TERM $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$bootstrap" ] && break; sleep 0.1; done
[ -s "$bootstrap" ] || { echo "demo: the embedded broker did not start (see $out/broker.log)"; exit 1; }
export EMR_BROKERS=$(cat "$bootstrap")
echo "== embedded broker at $EMR_BROKERS"
echo "== declared topics"
"$EMR" topics verify
echo "== round trip through the Kafka layer (idempotent producer, consumer group)"
"$EMR" bench kafka --messages 20000 --size 600
echo "== demo done; broker log in $out/broker.log"
