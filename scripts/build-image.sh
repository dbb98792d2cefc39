#!/usr/bin/env bash
# `make image`: builds the emr image from the Dockerfile with docker, or with podman where no
# Docker engine runs (then the base images are made locally first: scripts/base-images.sh).
# Prints the build time and the image size.
set -euo pipefail
source "$(dirname "$0")/container-engine.sh"
cd "$REPO_ROOT"
started=$SECONDS
if [ "$ENGINE" = podman ]; then
  bash scripts/base-images.sh
  extra=(--pull=never --network host)
  # The stand-in Swift image resolves github.com packages from this machine's mirror.
  if [ -d /opt/swift-packages ]; then extra+=(--volume /opt/swift-packages:/opt/swift-packages:ro); fi
  podman build "${extra[@]}" --tag "$EMR_IMAGE" . >/tmp/emr-image-build.log 2>&1 \
    || { tail -40 /tmp/emr-image-build.log >&2; echo "image build failed (log: /tmp/emr-image-build.log)" >&2; exit 1; }
  # Also under the name Docker's API gives a short name (compose asks podman's API for it).
  podman tag "$EMR_IMAGE" "$(qualified "$EMR_IMAGE")"
  size=$(podman image inspect --format '{{.Size}}' "$EMR_IMAGE")
else
  docker build --tag "$EMR_IMAGE" .
  size=$(docker image inspect --format '{{.Size}}' "$EMR_IMAGE")
fi
echo "image $EMR_IMAGE built with $ENGINE in $((SECONDS - started)) s: $((size / 1000000)) MB"
