#!/usr/bin/env bash
# The consumer service end to end beside a raw read of the same topics, in one run:
# `emr bench consume` (see its --help). Kept for `make bench` and older notes.
# Usage: scripts/bench-consume.sh [PATIENTS] [EMR]   (a generated export; default 600 patients)
set -euo pipefail
PATIENTS=${1:-600}
EMR=${2:-.build/release/emr}
extra=()
# The embedded broker keeps about 5 MiB per partition: more partitions for larger exports.
if [ "$PATIENTS" -gt 1500 ]; then extra=(--partitions 48); fi
exec "$EMR" bench consume --patients "$PATIENTS" "${extra[@]}"
