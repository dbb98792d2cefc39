#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml run for real with containers.
#   1. the base images (podman hosts without a registry) and the project image from the Dockerfile;
#   2. docker-compose.yml validated (also with --profile monitoring);
#   3. the stack up with deploy/compose-test/embedded-broker.yml (the embedded broker in place
#      of apache/kafka, which cannot be pulled here): topics, generate, three producers, and the
#      consumer as two instances of one group (consumer, consumer-2), each with its own volume;
#   4. both ready, each owning tasks; the first killed with SIGKILL mid-stream, restarted by its
#      restart policy;
#   5. every producer exits 0, lag 0 on both, records read over both = records produced
#      (nothing lost or doubled), the cluster's marts through either instance's HTTP API
#      (?scope=cluster, the same bytes from both), `emr verify` inside each container;
#   6. SIGTERM: both consumers exit 0; everything the test created is removed.
# Podman: Debian's docker-compose (v1) drives podman's Docker-compatible API. Docker: `docker compose`.
set -euo pipefail
source "$(dirname "$0")/container-engine.sh"
cd "$REPO_ROOT"

PATIENTS="${COMPOSE_TEST_PATIENTS:-80}"
SPEEDUP="${COMPOSE_TEST_SPEEDUP:-20000000}"
PROJECT="emrcomposetest"
BASE="http://127.0.0.1:8080"
BASE2="http://127.0.0.1:8081"
WORK="$(mktemp -d /tmp/emr-compose-test.XXXXXX)"
pids=()
compose_files=(-f docker-compose.yml -f deploy/compose-test/embedded-broker.yml)

say() { echo "compose-test: $*"; }
fail() { echo "compose-test: FAILED: $*" >&2; exit 1; }

# --- 1. images
build_line="$(bash scripts/build-image.sh | tail -1)"
say "$build_line"
image_mb="$(sed -n 's/.*: \([0-9]*\) MB$/\1/p' <<<"$build_line")"
build_s="$(sed -n 's/.* in \([0-9]*\) s:.*/\1/p' <<<"$build_line")"

# --- the compose tool
if [ "$ENGINE" = podman ]; then
  command -v docker-compose >/dev/null || fail "docker-compose is missing (apt-get install docker-compose)"
  socket="$WORK/podman.sock"
  podman system service --time=0 "unix://$socket" >"$WORK/podman-service.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
  [ -S "$socket" ] || fail "podman's API service did not start (log: $WORK/podman-service.log)"
  export DOCKER_HOST="unix://$socket"
  compose() { docker-compose -p "$PROJECT" "$@"; }
else
  compose() { docker compose -p "$PROJECT" "$@"; }
fi
inspect() { $ENGINE inspect --format "$1" "$2"; }
container() { compose "${compose_files[@]}" ps -q "$1" 2>/dev/null | head -1; }

cleanup() {
  local status=$?
  if [ $status -ne 0 ]; then
    for s in kafka topics generate producer-a producer-b producer-all consumer consumer-2; do
      id="$(container "$s" || true)"
      [ -n "$id" ] && { echo "--- logs of $s"; $ENGINE logs --tail 30 "$id" 2>&1 || true; }
    done
  fi
  compose "${compose_files[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT

# --- 2. validation
compose -f docker-compose.yml config -q || fail "docker-compose.yml does not validate"
compose -f docker-compose.yml --profile monitoring config --services | grep -qx prometheus \
  || fail "the monitoring profile has no prometheus service"
compose "${compose_files[@]}" config -q || fail "the embedded-broker override does not validate"
if command -v promtool >/dev/null; then
  promtool check config deploy/prometheus/prometheus.yml >/dev/null || fail "promtool refuses deploy/prometheus/prometheus.yml"
fi
say "docker-compose.yml validates (also --profile monitoring and the override); promtool accepts the Prometheus config"

# Podman runs health checks from systemd timers, and there is no systemd here: run them the
# way the engine would, every 2 s, for this project's containers.
if [ "$ENGINE" = podman ]; then
  ( while true; do
      for c in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.ID}}'); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
      sleep 2
    done ) &
  pids+=($!)
fi

# --- 3. up
export EMR_BROKERS=127.0.0.1:9092 EMR_PATIENTS="$PATIENTS" EMR_SPEEDUP="$SPEEDUP"
# Under host networking a service's ports are the host's own, and compose v1 refuses port
# bindings there (an override cannot remove list entries): render the merged file, drop the
# bindings of host-network services, and run that.
compose "${compose_files[@]}" config >"$WORK/rendered.yml"
python3 - "$WORK/rendered.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
with open(path) as f:
    doc = yaml.safe_load(f)
for service in doc["services"].values():
    if service.get("network_mode") == "host":
        service.pop("ports", None)
with open(path, "w") as f:
    yaml.safe_dump(doc, f, sort_keys=False)
PY
compose_files=(-f "$WORK/rendered.yml")
started=$SECONDS
compose "${compose_files[@]}" up -d --no-build >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "docker-compose up"; }
consumer="$(container consumer)"
consumer2="$(container consumer-2)"
[ -n "$consumer" ] && [ -n "$consumer2" ] || fail "no consumer containers"

probe_ready() { $ENGINE exec "$1" emr probe --quiet --timeout 3 "$2/readyz" >/dev/null 2>&1; }
wait_ready() {
  local deadline=$((SECONDS + $1))
  until probe_ready "$2" "$3"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}
wait_ready 240 "$consumer" "$BASE" || fail "the consumer was not ready within 240 s"
wait_ready 240 "$consumer2" "$BASE2" || fail "consumer-2 was not ready within 240 s"
ready_s=$((SECONDS - started))
tasks() { python3 scripts/compose-check.py "$1" tasks; }
say "both consumers ready $ready_s s after up; tasks: consumer [$(tasks "$BASE")], consumer-2 [$(tasks "$BASE2")]"

# --- 4. SIGKILL mid-stream; the restart policy brings it back
producers_running=0
for s in producer-a producer-b producer-all; do
  [ "$(inspect '{{.State.Status}}' "$(container "$s")")" = running ] && producers_running=$((producers_running + 1))
done
restarts_before="$(inspect '{{.RestartCount}}' "$consumer")"
# The process dies as in a crash (podman counts `podman kill` as a user's stop, which no
# restart policy undoes): SIGKILL to the container's main process from the host.
kill -s KILL "$(inspect '{{.State.Pid}}' "$consumer")"
killed_at=$SECONDS
deadline=$((SECONDS + 120))
until [ "$(inspect '{{.RestartCount}}' "$consumer")" -gt "$restarts_before" ] && [ "$(inspect '{{.State.Status}}' "$consumer")" = running ]; do
  [ $SECONDS -lt $deadline ] || fail "the consumer was not restarted within 120 s of SIGKILL"
  sleep 0.5
done
wait_ready 180 "$consumer" "$BASE" || fail "the restarted consumer was not ready within 180 s"
say "SIGKILL with $producers_running producer(s) still publishing: restarted and ready again in $((SECONDS - killed_at)) s"

# --- 5. the stream ends: every producer exits 0, and the consumer catches up exactly
produced=0
for s in producer-a producer-b producer-all; do
  id="$(container "$s")"
  deadline=$((SECONDS + 300))
  until [ "$(inspect '{{.State.Status}}' "$id")" = exited ]; do
    [ $SECONDS -lt $deadline ] || fail "$s still running after 300 s"
    sleep 1
  done
  code="$(inspect '{{.State.ExitCode}}' "$id")"
  [ "$code" = 0 ] || fail "$s exited $code"
  count="$($ENGINE logs "$id" 2>&1 | sed -n 's/^produced \([0-9]*\) records.*/\1/p' | tail -1)"
  [ -n "$count" ] && [ "$count" -gt 0 ] || fail "$s published nothing"
  produced=$((produced + count))
done

check() { python3 scripts/compose-check.py "$BASE" "$@"; }
check2() { python3 scripts/compose-check.py "$BASE2" "$@"; }
# Each instance counts the records of the tasks it owns; together, every record once.
deadline=$((SECONDS + 240))
while true; do
  lag="$(check metric emr_consumer_lag 2>/dev/null || echo x)"
  lag2="$(check2 metric emr_consumer_lag 2>/dev/null || echo x)"
  read1="$(check counter records_read 2>/dev/null || echo x)"
  read2="$(check2 counter records_read 2>/dev/null || echo x)"
  read_total=x
  [[ "$read1" =~ ^[0-9]+$ && "$read2" =~ ^[0-9]+$ ]] && read_total=$((read1 + read2))
  [ "$lag" = 0 ] && [ "$lag2" = 0 ] && [ "$read_total" = "$produced" ] && break
  [ $SECONDS -lt $deadline ] || fail "not caught up: lag $lag and $lag2, records read $read1 + $read2 of $produced produced"
  sleep 1
done
say "every producer exited 0; $produced records produced, $read_total read exactly once ($read1 by consumer, $read2 by consumer-2), lag 0"

# The cluster's marts through the HTTP API: all 11 present, the dimensions and facts filled,
# and the same bytes from either instance.
check mart-rows cluster >"$WORK/marts"
[ "$(wc -l <"$WORK/marts")" -eq 11 ] || fail "expected 11 marts from /api/v1/marts: $(cat "$WORK/marts")"
patients="$(awk '$1 == "dim_patients" { print $2 }' "$WORK/marts")"
[ "$patients" = "$PATIENTS" ] || fail "dim_patients has $patients rows, the export $PATIENTS patients"
while read -r mart rows; do
  [ "$rows" -gt 0 ] || fail "mart $mart is empty"
  page="$(check mart-page "$mart" 5 cluster)"
  [ "$page" -eq $((rows < 5 ? rows : 5)) ] || fail "/api/v1/marts/$mart gave $page rows on a page of 5 ($rows in all)"
done <"$WORK/marts"
digest="$(check digest cluster)"
[ "$digest" = "$(check2 digest cluster)" ] || fail "?scope=cluster differs between the two instances"
for c in "$consumer" "$consumer2"; do
  $ENGINE exec "$c" emr verify --state-dir /var/lib/emr/tasks >"$WORK/verify" 2>&1 \
    || { cat "$WORK/verify" >&2; fail "emr verify inside a consumer container"; }
done
say "11 marts of the cluster through either instance's API ($patients patients, the same bytes: ${digest:0:12}); emr verify in both containers: $(tail -1 "$WORK/verify")"

# An analyst's export beside the running consumer, through compose. (`docker compose run`, as the
# README also shows, cannot be run here: compose v1 gives one-off containers legacy links,
# which podman's API refuses.)
compose "${compose_files[@]}" exec -T consumer emr export --state-dir /var/lib/emr/tasks \
    --out /var/lib/emr/exports/compose-test --format jsonl >"$WORK/export" 2>&1 \
  || { cat "$WORK/export" >&2; fail "docker-compose exec consumer emr export"; }
say "docker-compose exec consumer emr export: $(grep -m1 '^export:' "$WORK/export" | cut -c1-120)"

# --- 6. SIGTERM: the batch commits, exit 0
compose "${compose_files[@]}" stop -t 30 consumer consumer-2 >/dev/null 2>&1
for c in "$consumer" "$consumer2"; do
  code="$(inspect '{{.State.ExitCode}}' "$c")"
  [ "$code" = 0 ] || fail "a consumer exited $code on SIGTERM"
done
say "SUMMARY image ${image_mb} MB built in ${build_s} s; up to ready ${ready_s} s; ${read_total} records consumed exactly once by two instances across a SIGKILL; cluster view identical from both; SIGTERM exit 0"
