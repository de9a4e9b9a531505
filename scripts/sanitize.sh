#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer in a worktree of
# this checkout and runs the mocha suite (or the test files given) against it:
#   bash scripts/sanitize.sh [--native | test/x.test.js ...]
# --native: only the test files that drive the addon in-process (decoders, geometry,
# sessions, the pipeline), the part CI runs; the whole suite takes several times longer.
# Writes the build to .sanitize/tree/build/ and the sanitizers' reports to
# .sanitize/tree/reports/; exits 1 when any report was written or a test failed. ONNX Runtime,
# OpenCV's archives and Node itself are not instrumented: what is checked is our code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree="$root/.sanitize/tree"
mkdir -p "$root/.sanitize"
# The tests read ../shared beside the checkout: the same beside the worktree.
if [ -d "$root/../shared" ]; then ln -sfn "$(cd "$root/../shared" && pwd)" "$root/.sanitize/shared"; fi
if [ ! -d "$tree/.git" ] && [ ! -f "$tree/.git" ]; then
  git -C "$root" worktree add --detach "$tree" HEAD >/dev/null
else
  git -C "$tree" checkout --detach -q "$(git -C "$root" rev-parse HEAD)"
fi
ln -sfn "$root/node_modules" "$tree/node_modules"
cd "$tree"
cmake_js=$(node -p "require.resolve('cmake-js/bin/cmake-js', { paths: ['$root'] })")
gen=(); if command -v ninja >/dev/null; then gen=(--generator Ninja); fi
node "$cmake_js" build --out build "${gen[@]}" --CDDI_SANITIZE=ON
# What the tests load must be this build: refuse to run against another.
# (grep reads all of nm's output: grep -q would stop early and fail the pipe under pipefail)
if ! nm -D --undefined-only build/Release/die_inspect.node | grep __asan_report >/dev/null; then
  echo "the addon is not instrumented" >&2
  exit 1
fi
npx tsc -p tsconfig.json && node scripts/write-esm-entry.js
mkdir -p reports && rm -f reports/*
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
# Node's own allocations are not ours to judge (detect_leaks=0); each finding goes to a file.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=0:log_path=$tree/reports/asan:allow_user_segv_handler=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$tree/reports/ubsan"
status=0
# Without files: every test file but those that build and install addons of their own
# (they would replace this build). Files run alone: the config's spec would add the rest.
if [ "${1:-}" = "--native" ]; then
  shift
  set -- test/{decoders,auto-orient,input-limits,encoders,fuzz,fuzz-regressions,nms,preprocess,annotate,reference-pair}.test.js \
    test/{roi,roi-seg,roi-sam,session,detector,classifier,batching,explain,synth,synth-gan,inspector}.test.js "$@"
fi
if [ $# -eq 0 ]; then
  mapfile -t files < <(ls test/*.test.js | grep -vE '/(package|install|source-build)\.test\.js$')
  set -- "${files[@]}"
fi
set -- --no-config --require test/helpers/env.js --timeout 300000 "$@"
LD_PRELOAD="$asan $ubsan" npx mocha "$@" || status=$?
if compgen -G "reports/*" >/dev/null; then
  echo "sanitizer reports in $tree/reports:" >&2
  ls "$tree/reports" >&2
  status=1
fi
exit $status
