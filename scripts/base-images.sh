#!/usr/bin/env bash
# Podman hosts without a registry (our CI machines): builds the two base images the Dockerfile
# names from Debian's packages and this machine's Swift toolchain, tagged with the exact names
# Docker would pull, so the same Dockerfile builds here (with --pull=never) and on a user's Docker.
#   RUNTIME_IMAGE (debian:bookworm-slim): debootstrap --variant=minbase bookworm
#   SWIFT_IMAGE (swift:X-bookworm): that root file system + what Swift needs + /opt/swift,
#     resolving github.com packages from this machine's mirror (/opt/swift-packages, mounted
#     at build time by `make image`).
# Skips an image that exists. Needs root, debootstrap and podman.
set -euo pipefail
source "$(dirname "$0")/container-engine.sh"
SWIFT_TOOLCHAIN="${SWIFT_TOOLCHAIN:-/opt/swift}"
WORK="${BASE_IMAGES_WORK:-/var/tmp/emr-base-images}"

runtime_ref="$(qualified "$RUNTIME_IMAGE")"
swift_ref="$(qualified "$SWIFT_IMAGE")"
if podman image exists "$runtime_ref" && podman image exists "$swift_ref"; then
  echo "base images present: $runtime_ref $swift_ref"
  exit 0
fi

# The Debian mirror this machine's apt uses (never a host written into the repository).
mirror="$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)"
if [ -z "$mirror" ]; then
  mirror="$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
fi
[ -n "$mirror" ] || { echo "cannot find a Debian mirror in /etc/apt/sources.list(.d)" >&2; exit 1; }

rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
rootfs="$WORK/rootfs"
started=$SECONDS
echo "debootstrap bookworm from $mirror ..."
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
if ! podman image exists "$runtime_ref"; then
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$runtime_ref" >/dev/null
  echo "imported $runtime_ref ($((SECONDS - started)) s)"
fi

if ! podman image exists "$swift_ref"; then
  [ -x "$SWIFT_TOOLCHAIN/usr/bin/swift" ] || { echo "no Swift toolchain at $SWIFT_TOOLCHAIN" >&2; exit 1; }
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  # What the Swift toolchain and SwiftPM need on Debian 12 (as the official swift images have).
  chroot "$rootfs" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      binutils gcc libc6-dev libstdc++-12-dev git ca-certificates pkg-config tzdata \
      libcurl4-openssl-dev libedit-dev libicu-dev libncurses-dev libsqlite3-dev libxml2-dev uuid-dev zlib1g-dev \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb' >"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; exit 1; }
  rm -f "$rootfs/etc/resolv.conf"
  # The toolchain without what only editors and debuggers use.
  tar -C "$SWIFT_TOOLCHAIN" -c --exclude='usr/bin/sourcekit-lsp' --exclude='usr/bin/clangd' --exclude='usr/bin/docc' \
      --exclude='usr/bin/lldb*' --exclude='usr/lib/liblldb*' --exclude='usr/lib/libsourcekitdInProc.so' --exclude='usr/bin/repl_swift' usr \
    | tar -C "$rootfs" -x
  # Packages named by https://github.com/... resolve from the mirror this machine keeps.
  printf '[url "/opt/swift-packages/"]\n\tinsteadOf = https://github.com/\n' >"$rootfs/etc/gitconfig"
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$swift_ref" >/dev/null
  echo "imported $swift_ref ($((SECONDS - started)) s)"
fi
