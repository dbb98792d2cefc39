# Shared by the scripts: start `emr broker` in the background and wait for its address.
# Usage: start_broker EMR DIR [BROKER OPTIONS...]  -> sets BROKER_PID and EMR_BROKERS; log in DIR/broker.log
start_broker() {
  local emr=$1 dir=$2
  shift 2
  rm -f "$dir/bootstrap"
  "$emr" broker --bootstrap-file "$dir/bootstrap" "$@" >"$dir/broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
  [ -s "$dir/bootstrap" ] || { echo "the embedded broker did not start (see $dir/broker.log)" >&2; return 1; }
  EMR_BROKERS=$(cat "$dir/bootstrap")
  export EMR_BROKERS
}

stop_broker() {
  [ -n "${BROKER_PID:-}" ] && kill -TERM "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null || true
}
