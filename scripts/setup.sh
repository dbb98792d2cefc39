#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test EMR Stream.
set -euo pipefail
need=()
pkg-config --exists rdkafka 2>/dev/null || need+=(librdkafka-dev)
pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v kcat >/dev/null || need+=(kcat)
command -v promtool >/dev/null || need+=(prometheus)  # promtool checks the /metrics exposition in tests
command -v chattr >/dev/null || need+=(e2fsprogs)    # read-only fault tests as root
command -v chromium >/dev/null || need+=(chromium)   # the dashboard test and scripts/dashboard-screenshot.sh
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
