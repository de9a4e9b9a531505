#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer in a worktree of
# this checkout and runs the mocha suite (or the test files given) against it:
#   bash scripts/sanitize.sh [test/x.test.js ...]
# Writes the build to build-sanitize/ (worktree .sanitize/) and the sanitizers' reports to
# .sanitize/reports/; exits 1 when any report was written or a test failed. ONNX Runtime,
# OpenCV's archives and Node itself are not instrumented: what is checked is our code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree="$root/.sanitize"
if [ ! -d "$tree/.git" ] && [ ! -f "$tree/.git" ]; then
  git -C "$root" worktree add --detach "$tree" HEAD >/dev/null
else
  git -C "$tree" checkout --detach -q "$(git -C "$root" rev-parse HEAD)"
fi
ln -sfn "$root/node_modules" "$tree/node_modules"
cd "$tree"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize=vptr -g"
cmake_js=$(node -p "require.resolve('cmake-js/bin/cmake-js', { paths: ['$root'] })")
gen=(); if command -v ninja >/dev/null; then gen=(--generator Ninja); fi
node "$cmake_js" compile --out build "${gen[@]}" \
  --CDCMAKE_CXX_FLAGS="$flags" --CDCMAKE_C_FLAGS="$flags" --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
npx tsc -p tsconfig.json && node scripts/write-esm-entry.js
mkdir -p reports && rm -f reports/*
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
# Node's own allocations are not ours to judge (detect_leaks=0); each finding goes to a file.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=0:log_path=$tree/reports/asan:allow_user_segv_handler=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$tree/reports/ubsan"
status=0
# Given files run alone (the config's spec would add every other test file).
if [ $# -gt 0 ]; then set -- --no-config --require test/helpers/env.js --timeout 300000 "$@"; fi
LD_PRELOAD="$asan $ubsan" npx mocha "$@" || status=$?
if compgen -G "reports/*" >/dev/null; then
  echo "sanitizer reports in $tree/reports:" >&2
  ls "$tree/reports" >&2
  status=1
fi
exit $status
