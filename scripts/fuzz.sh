#!/usr/bin/env bash
# Runs one libFuzzer target for a set time (docs/RELIABILITY.md).
#   scripts/fuzz.sh TARGET SECONDS      TARGET: config | metadata | yolo_decode | yolo_heads
#                                       | dds_image | http_request
# Builds the target with clang-14 (-fsanitize=fuzzer,address,undefined) in build-fuzz/, keeps
# its corpus in build-fuzz/corpus/TARGET (seeded from the repository's own configs and
# models), writes crashes to build-fuzz/crashes/TARGET/ and prints libFuzzer's final figures
# (executions, coverage). Every crash found becomes a regression test (tests/hostile/).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh config|metadata|yolo_decode|yolo_heads|dds_image|http_request SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
build=${PERCEPT_FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPERCEPT_FUZZ=ON -DPERCEPT_BUILD_TESTS=OFF -DPERCEPT_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target "fuzz_$target"

corpus="$build/corpus/$target"
crashes="$build/crashes/$target"
mkdir -p "$corpus" "$crashes"
if [ -z "$(ls -A "$corpus")" ]; then  # seeds
  case "$target" in
    config) cp configs/*.yaml "$corpus/" ;;
    metadata)
      printf '\x00{0: '"'"'person'"'"', 1: '"'"'bicycle'"'"'}' >"$corpus/names"
      printf '\x01[640, 640]' >"$corpus/imgsz"
      printf '\x02detect' >"$corpus/task"
      for f in models/*.yaml; do [ -f "$f" ] && { printf '\x03'; cat "$f"; } >"$corpus/$(basename "$f")"; done
      ;;
    yolo_decode) printf '\x06\x05\x02\x00\x40\x00' >"$corpus/v8" ;;
    yolo_heads) cp fuzz/seeds/yolo_heads/* "$corpus/" ;;
    dds_image) cp fuzz/seeds/dds_image/* "$corpus/" ;;
    bag) cp fuzz/seeds/bag/* "$corpus/" ;;  # bags percept recorded (none, zstd, lz4), cut, corrupt
    bag_db3) cp fuzz/seeds/bag_db3/* "$corpus/" ;;
    http_request) cp fuzz/seeds/http_request/* "$corpus/" ;;  # hand-written CDR, see tests/CMakeLists.txt
  esac
fi
# Inputs up to 4 KiB, except bags: their seeds hold three camera frames (9 to 15 KiB).
max_len=4096
[ "$target" = bag ] && max_len=32768
[ "$target" = bag_db3 ] && max_len=65536
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$build/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -max_len="$max_len" \
  -artifact_prefix="$crashes/" "$corpus" 2>&1 | tail -n 25
