#!/usr/bin/env bash
# Builds the unit, pipeline and imgproc test binaries under a sanitizer and runs them (CI runs
# both).
#   scripts/sanitize.sh asan     GCC, AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
#   scripts/sanitize.sh tsan     clang-14 ThreadSanitizer on the threaded pipeline tests, build-tsan/
# Only the test binaries named below and the libraries they link are built, so this costs a
# fraction of the full build. Leak checking is off (ONNX Runtime keeps allocations until exit),
# except for the allocation sweep, task_oom_tests, with ONNX Runtime's suppressed (lsan.supp).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
case "$kind" in
  asan)
    build=build-asan cxx=g++
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    tests=(core_tests tasks_tests track_tests pipeline_tests fault_tests imgproc_tests parity_tests
           task_oom_tests web_tests quantize_tests)
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ;;
  tsan)
    build=build-tsan cxx=clang++-14
    flags="-fsanitize=thread -fno-omit-frame-pointer"
    tests=(pipeline_tests fault_tests web_tests)
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp
    ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan" >&2; exit 2 ;;
esac
start=$(date +%s)
# Without CUDA: no GPU runs its code here, and the detector's CUDA preprocessing would add every
# kernel's nvcc build (all architectures) to both sanitizer builds (CI: 234 -> 481 s for asan).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS="$flags" -DPERCEPT_BUILD_BENCH=OFF -DPERCEPT_CUDA=OFF >/dev/null
cmake --build "$build" --target "${tests[@]}"
for t in "${tests[@]}"; do
  echo "== $kind: $t"
  bin=$(find "$build/tests" -name "$t" -type f -perm -u+x | head -n 1)  # tests/ or a module folder
  if [[ $t == task_oom_tests ]]; then
    # The allocation sweep with leak checking on: a failed allocation must not leak (ONNX
    # Runtime's own allocations, kept until exit, are suppressed). The warm sweep only: the cold
    # one forks about 700 children (2 minutes under ASan; run it by hand the same way).
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp \
      "$bin" --gtest_brief=1 --gtest_filter='Tasks/*:TaskOomCoverage.*'
  else
    "$bin" --gtest_brief=1
  fi
done
echo "$kind: ${tests[*]} clean in $(($(date +%s) - start)) s"
