#!/usr/bin/env bash
# GPU verification in one command (docs/GPU.md). Two halves, because the machine lent with a
# GPU has nvcc but none of Debian's libraries (GTest, spdlog, yaml-cpp):
#
#   scripts/gpu_verify.sh bundle   here, no GPU needed: builds the GPU test and bench binaries
#                                  (no OpenCV) with PERCEPT_CUDA=ON and copies them with the
#                                  shared libraries they need into build-gpu-bundle/ (ignored
#                                  by git, about 35 MB: carry it to the GPU machine).
#   scripts/gpu_verify.sh run      on the GPU machine, from the repository root: the gpu-labelled
#                                  tests (a skip is a failure there), the host-side tests,
#                                  compute-sanitizer memcheck on the kernel tests, and the
#                                  kernel benchmark (GB/s against the device's peak and a D2D
#                                  copy). Logs go to $OUT when set (the device tool), else
#                                  build-gpu-bundle/out/.
#   scripts/gpu_verify.sh          both, on a machine that has the toolchain and a GPU.
#
# With the device tool: `scripts/gpu_verify.sh bundle` here, then
#   run(command="scripts/gpu_verify.sh run", carry=["build-gpu-bundle"])
# Exit status: 0 only when every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${PERCEPT_GPU_BUILD:-$ROOT/build-gpu}
BUNDLE=$ROOT/build-gpu-bundle
BINS=(tests/gpu/gpu_kernel_tests tests/gpu/gpu_launcher_tests tests/gpu/gpu_pool_tests
      tests/imgproc/imgproc_kernel_tests tests/imgproc/imgproc_launcher_tests bench/gpu_bench)

bundle() {
  local t0=$SECONDS
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPERCEPT_CUDA=ON \
    -DPERCEPT_WERROR=ON >/dev/null
  ninja -C "$BUILD" gpu_kernel_tests gpu_launcher_tests gpu_pool_tests imgproc_kernel_tests \
    imgproc_launcher_tests gpu_bench
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/lib"
  for b in "${BINS[@]}"; do cp "$BUILD/$b" "$BUNDLE/"; done
  # Shared libraries outside the C runtime (ONNX Runtime, yaml-cpp, spdlog, fmt); CUDA's
  # runtime is linked statically, the driver comes from the GPU machine.
  for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -Ev '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$BUNDLE/lib/"; done
  echo "gpu_verify: bundle in $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)), built in $((SECONDS - t0)) s"
}

run() {
  local out=${OUT:-$BUNDLE/out}
  mkdir -p "$out"
  [[ -x $BUNDLE/gpu_kernel_tests ]] || { echo "gpu_verify: no bundle; run '$0 bundle' first" >&2; exit 2; }
  export LD_LIBRARY_PATH=$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  local fail=0
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv || true
  } | tee "$out/device.txt"
  for t in gpu_pool_tests gpu_launcher_tests gpu_kernel_tests imgproc_launcher_tests \
    imgproc_kernel_tests; do
    echo "== $t"
    if ! "$BUNDLE/$t" 2>&1 | tee "$out/$t.txt"; then fail=1; fi
    if grep -q '\[  SKIPPED \]' "$out/$t.txt"; then
      echo "gpu_verify: $t skipped tests on a GPU machine: counted as a failure"
      fail=1
    fi
  done
  local cs
  cs=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
  if [[ -n $cs ]]; then
    # Without the DevicePool test: its deliberate 1 PiB cudaMalloc failure would count as an
    # API error in the sanitizer's summary.
    echo "== compute-sanitizer memcheck gpu_kernel_tests"
    "$cs" --tool memcheck --error-exitcode 1 --leak-check full "$BUNDLE/gpu_kernel_tests" \
      --gtest_filter=-DevicePool.* >"$out/memcheck.txt" 2>&1 || fail=1
    tail -5 "$out/memcheck.txt"
    echo "== compute-sanitizer memcheck imgproc_kernel_tests"
    "$cs" --tool memcheck --error-exitcode 1 --leak-check full "$BUNDLE/imgproc_kernel_tests" \
      >"$out/memcheck_imgproc.txt" 2>&1 || fail=1
    tail -5 "$out/memcheck_imgproc.txt"
  else
    echo "gpu_verify: compute-sanitizer not found: memcheck NOT run" | tee "$out/memcheck.txt"
    fail=1
  fi
  echo "== gpu_bench"
  "$BUNDLE/gpu_bench" 2>&1 | tee "$out/bench.txt" || fail=1
  if [[ $fail == 0 ]]; then echo "gpu_verify: PASS"; else echo "gpu_verify: FAIL"; fi
  return $fail
}

case ${1:-all} in
  bundle) bundle ;;
  run) run ;;
  all) bundle && run ;;
  *) echo "usage: $0 [bundle|run]" >&2; exit 2 ;;
esac
