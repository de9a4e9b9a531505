#!/usr/bin/env bash
# Debian packages the native build needs (OpenCV 4, libjpeg-turbo, libpng, libtiff, CMake,
# Ninja, a C++17 compiler; patchelf for the prebuild, scripts/prebuild.js). Skips apt when
# everything is already there.
#   --recipes  also the system Python packages the training recipes use (models/recipes/)
#   --fuzz     also clang with its libFuzzer and sanitizer runtimes (scripts/fuzz.sh)
#   --browser  also Chromium, which the review station's browser tests drive (test/serve-browser.test.js)
#   --services also Redis and PostgreSQL, which the scale-out tests start (scripts/services.sh)
set -euo pipefail
pkgs=(libopencv-dev libjpeg62-turbo-dev libpng-dev libtiff-dev cmake ninja-build g++ pkg-config patchelf)
for opt in "$@"; do
  case "$opt" in
    --recipes) pkgs+=(python3-torch python3-torchvision python3-onnx python3-opencv python3-numpy python3-yaml python3-tqdm) ;;
    --fuzz) pkgs+=(clang-14 libclang-rt-14-dev) ;;
    --browser) pkgs+=(chromium) ;;
    --services) pkgs+=(redis-server postgresql) ;;
    *) echo "unknown option $opt (--recipes, --fuzz, --browser, --services)" >&2; exit 2 ;;
  esac
done
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "system dependencies: ok"
