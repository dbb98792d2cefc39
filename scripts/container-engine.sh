# Sourced by the container scripts: picks the engine and, for podman, this repository's settings.
#   ENGINE      docker when a Docker engine answers, else podman
#   SWIFT_IMAGE / RUNTIME_IMAGE   the base images the Dockerfile names (its ARG defaults)
# shellcheck shell=bash
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SWIFT_IMAGE="$(sed -n 's/^ARG SWIFT_IMAGE=//p' "$REPO_ROOT/Dockerfile")"
RUNTIME_IMAGE="$(sed -n 's/^ARG RUNTIME_IMAGE=//p' "$REPO_ROOT/Dockerfile")"
EMR_IMAGE="${EMR_IMAGE:-emr-stream:latest}"
if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then
    ENGINE=podman
  else
    echo "neither a Docker engine nor podman is available (apt-get install podman runc)" >&2
    exit 1
  fi
fi
if [ "$ENGINE" = podman ]; then
  # crun and the default ulimits fail on hosts like our CI machines: see the file.
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$REPO_ROOT/deploy/podman/containers.conf}"
fi

# Docker's short names, fully qualified as podman stores them.
qualified() {
  case "$1" in
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}
