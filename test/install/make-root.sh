#!/usr/bin/env bash
# Makes, once, the Debian 12 minbase root that the install test enters with chroot:
# no compiler, cmake, python, OpenCV or -dev package, only what a minimal base
# system has. Prints its path. Needs root and Debian's mirror (apt's own).
#   bash test/install/make-root.sh [DIR]   (default /var/cache/die-inspect/minbase-bookworm)
set -euo pipefail
ROOT=${1:-/var/cache/die-inspect/minbase-bookworm}
if [ -f "$ROOT/.complete" ]; then
  echo "$ROOT"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
rm -rf "$ROOT"
mkdir -p "$(dirname "$ROOT")"
debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >"$ROOT.log" 2>&1 || {
  tail -20 "$ROOT.log" >&2
  exit 1
}
touch "$ROOT/.complete"
echo "$ROOT"
