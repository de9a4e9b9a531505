#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, with clang, ASan and UBSan), seeds each
# corpus from the tests' own image writers, the samples and the public corpus,
# replays the regression inputs (fuzz/regressions/<fuzzer>/), then fuzzes each
# harness for the time given; last, the ONNX graph reader's property fuzzing
# (test/onnx-fuzz.test.js) for the same time.
#   bash scripts/fuzz.sh [--seconds 60] [--jobs 1] [fuzzer ...]
# A corpus grows across runs in fuzz/build/corpus/<fuzzer>/ (ignored); a crashing
# input is written to fuzz/build/crashes/<fuzzer>/ and the script exits 1.
# Exit 2: usage error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=60
jobs=1
all=(header_fuzzer jpeg_fuzzer png_fuzzer bmp_fuzzer tiff_fuzzer load_fuzzer yolo_nms_fuzzer nms_fuzzer mask_quad_fuzzer roi_fuzzer)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 ;;
    --jobs) jobs="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "--seconds and --jobs take whole numbers" >&2
  exit 2
fi
for t in "${targets[@]}"; do
  if [[ " ${all[*]} onnx " != *" $t "* ]]; then echo "unknown fuzzer $t (one of: ${all[*]} onnx)" >&2; exit 2; fi
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}" onnx)

cxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$cxx" ]; then echo "clang is needed: bash scripts/install-system-deps.sh --fuzz" >&2; exit 1; fi
gen=(); if command -v ninja >/dev/null; then gen=(-G Ninja); fi
CXX="$cxx" cmake -S fuzz -B fuzz/build "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build fuzz/build
[ -f dist/index.js ] || npm run build:ts >/dev/null
rm -rf fuzz/build/seeds
node fuzz/seeds.js fuzz/build/seeds

status=0
for t in "${targets[@]}"; do
  [ "$t" = onnx ] && continue
  corpus="fuzz/build/corpus/$t" crashes="fuzz/build/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    n=$(ls fuzz/regressions/$t | wc -l)
    if "fuzz/build/$t" -runs=0 fuzz/regressions/$t/* > "fuzz/build/$t.regressions.log" 2>&1; then
      echo "== $t: $n regression inputs replayed"
    else
      echo "$t fails on a regression input (log: fuzz/build/$t.regressions.log)" >&2
      status=1
      continue
    fi
  fi
  echo "== $t: ${seconds}s"
  # Time and memory bounded (libFuzzer's own limits report what exceeds them). With --jobs,
  # libFuzzer writes each job's log as fuzz-N.log in its working folder: fuzz/build/jobs/<fuzzer>/.
  parallel=()
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  mkdir -p "fuzz/build/jobs/$t"
  if ! (cd "fuzz/build/jobs/$t" && "$root/fuzz/build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${parallel[@]}" \
      -print_final_stats=1 -artifact_prefix="$root/$crashes/" "$root/$corpus" "$root/fuzz/build/seeds/$t") > "fuzz/build/$t.log" 2>&1; then
    echo "$t found a crash: $(ls "$crashes" | head -3 | tr '\n' ' ')(log: fuzz/build/$t.log)" >&2
    grep -m3 -E "ERROR|property failed|runtime error" "fuzz/build/$t.log" >&2 || true
    status=1
    continue
  fi
  [ "$jobs" -gt 1 ] && cat "fuzz/build/jobs/$t"/fuzz-*.log >> "fuzz/build/$t.log"
  grep -E "stat::number_of_executed_units|stat::new_units_added" "fuzz/build/$t.log" | tr -s ' ' | sed 's/^/   /' || true
  grep -E "cov: [0-9]+" "fuzz/build/$t.log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/   \1/' || true
done
if [[ " ${targets[*]} " == *" onnx "* ]]; then
  echo "== onnx (graph reader, property-based): ${seconds}s a property"
  DI_FUZZ_SECONDS="$seconds" npx mocha --no-config --require test/helpers/env.js test/onnx-fuzz.test.js || status=1
fi
exit $status
