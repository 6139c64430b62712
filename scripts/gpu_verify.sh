#!/usr/bin/env bash
# GPU verification in one command per half (docs/GPU.md "Verifying on a GPU"). The machine lent
# with a GPU has nvcc, PyTorch and transformers but none of Debian's libraries (GTest, spdlog,
# yaml-cpp), no network, and each call carries at most 64 MiB (the repository is about 13 MiB):
#
#   scripts/gpu_verify.sh bundle   here, no GPU needed: builds the GPU test and bench binaries
#                                  and model_bench (no OpenCV) with PERCEPT_CUDA=ON and copies
#                                  them with the shared libraries they need into
#                                  build-gpu-bundle/ (ignored by git, about 35 MB).
#   scripts/gpu_verify.sh parts    here: ONNX Runtime's CUDA provider (bootstrap.sh --gpu, 230 MB)
#                                  xz-compressed and split into build-gpu-parts/part-NN of at most
#                                  48 MiB (four parts), each small enough to travel in one call.
#   scripts/gpu_verify.sh run      on the GPU machine, from the repository root: the gpu-labelled
#                                  tests (a skip is a failure there), the host-side tests,
#                                  compute-sanitizer memcheck on the kernel tests, and the
#                                  kernel benchmark (GB/s against the device's peak and a D2D
#                                  copy); then `models`. What it unpacks, exports and logs goes
#                                  to build-gpu-run/ (never into the carried bundle); the logs
#                                  also, as one archive gpu_verify_logs.tar.gz after every step,
#                                  to $OUT when it is set (the device tool returns 8 files).
#   scripts/gpu_verify.sh models   on the GPU machine: exports the issue's models with random
#                                  weights (tools/gpu_models.py: YOLOv8n-sized at 640, Depth
#                                  Anything V2 ViT-S at 518), times them in PyTorch (float32,
#                                  float16), joins the provider's parts if they travelled, and
#                                  runs model_bench on cuda: percept's whole path against its
#                                  inference alone. Without the provider, percept's GPU rows are
#                                  reported as NOT measured (its CPU fallback is not a result).
#   scripts/gpu_verify.sh          bundle then run, on a machine that has the toolchain and a GPU.
#
# With the device tool (15 minutes of device time: calls back to back, the machine stays warm
# about 30 s and keeps ignored files between calls):
#   here:  scripts/gpu_verify.sh bundle && scripts/gpu_verify.sh parts
#   run(command="true", carry=["build-gpu-parts/part-00"])          # one part per call
#   run(command="true", carry=["build-gpu-parts/part-01"])
#   run(command="true", carry=["build-gpu-parts/part-02"])
#   run(command="scripts/gpu_verify.sh run", carry=["build-gpu-bundle", "build-gpu-parts/part-03"],
#       timeout_s=590)
# then give_back, and copy the figures from the returned files into docs/PERFORMANCE.md.
# Exit status: 0 only when every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${PERCEPT_GPU_BUILD:-$ROOT/build-gpu}
BUNDLE=$ROOT/build-gpu-bundle
PARTS=$ROOT/build-gpu-parts
# What `run` unpacks and writes on the GPU machine (the libraries, the exported models, logs):
# never inside the carried bundle, which must stay small enough to travel.
WORK=$ROOT/build-gpu-run
PYTHON=${PYTHON:-python3}  # the GPU machine's, with PyTorch (here: PYTHON=/usr/bin/python3)
BINS=(tests/gpu/gpu_kernel_tests tests/gpu/gpu_launcher_tests tests/gpu/gpu_pool_tests
      tests/gpu/parity_tests tests/imgproc/imgproc_kernel_tests tests/imgproc/imgproc_launcher_tests
      bench/gpu_bench bench/model_bench)
# Files the tests read that git does not track (the repository itself travels): they go into the
# bundle under the same relative path, and the tests find them through PERCEPT_TEST_FILES.
TEST_FILES=(third_party/blazeface/face_detection_front_128x128_barracuda.onnx)

bundle() {
  local t0=$SECONDS
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPERCEPT_CUDA=ON \
    -DPERCEPT_WERROR=ON >/dev/null
  ninja -C "$BUILD" gpu_kernel_tests gpu_launcher_tests gpu_pool_tests parity_tests \
    imgproc_kernel_tests imgproc_launcher_tests gpu_bench model_bench
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/lib"
  for b in "${BINS[@]}"; do cp "$BUILD/$b" "$BUNDLE/"; done
  for f in "${TEST_FILES[@]}"; do
    [[ -f $ROOT/$f ]] || { echo "gpu_verify: $f is missing: run scripts/bootstrap.sh" >&2; exit 2; }
    mkdir -p "$BUNDLE/$(dirname "$f")"
    cp "$ROOT/$f" "$BUNDLE/$f"
  done
  # Shared libraries outside the C runtime (ONNX Runtime, yaml-cpp, spdlog, fmt); CUDA's
  # runtime is linked statically, the driver comes from the GPU machine.
  for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -Ev '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$BUNDLE/lib/"; done
  # ONNX Runtime loads its provider libraries from the core library's folder; the shared part
  # (16 KB) goes now, the CUDA provider in parts (`parts`).
  cp "$ROOT/third_party/onnxruntime/lib/libonnxruntime_providers_shared.so" "$BUNDLE/lib/"
  # The core library compressed (28 MB -> 6 MB), so that the last device call carries the bundle,
  # the repository and the provider's last part under its 64 MiB; `run` unpacks it.
  xz -T0 -6 -f "$BUNDLE/lib/libonnxruntime.so.1"
  local bytes
  bytes=$(du -sb "$BUNDLE" | cut -f1)
  ((bytes < 40000000)) ||
    echo "gpu_verify: the bundle is $bytes bytes: with the repository and a part it may not fit in one call" >&2
  echo "gpu_verify: bundle in $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)), built in $((SECONDS - t0)) s"
}

parts() {
  [[ -d $BUNDLE/lib ]] || { echo "gpu_verify: run '$0 bundle' first (the checksum goes into it)" >&2; exit 2; }
  "$ROOT/scripts/bootstrap.sh" --gpu >/dev/null
  local so=$ROOT/third_party/onnxruntime-gpu/lib/libonnxruntime_providers_cuda.so
  rm -rf "$PARTS" && mkdir -p "$PARTS"
  xz -T0 -6 -c "$so" | split -b 48M -d - "$PARTS/part-"
  sha256sum "$so" | cut -d' ' -f1 >"$BUNDLE/lib/providers_cuda.sha256"
  echo "gpu_verify: $(ls "$PARTS" | grep -c part-) parts in $PARTS ($(du -sh "$PARTS" | cut -f1))"
  ls -la "$PARTS"
}

# unxz DST SRC...: the xz stream made of SRC files (in order) decompressed into DST; with
# Python's lzma where the machine has no xz. Fails without leaving a partial DST.
unxz() {
  local dst=$1
  shift
  if command -v xz >/dev/null; then
    cat "$@" | xz -d >"$dst.tmp" 2>/dev/null || { rm -f "$dst.tmp"; return 1; }
  else
    "$PYTHON" -c 'import lzma, sys
data = b"".join(open(f, "rb").read() for f in sys.argv[2:])
open(sys.argv[1], "wb").write(lzma.decompress(data))' "$dst.tmp" "$@" 2>/dev/null ||
      { rm -f "$dst.tmp"; return 1; }
  fi
  mv "$dst.tmp" "$dst"
}

# The bundle's libraries in $WORK/lib, the core one unpacked (once), where the provider joins it.
unpack_core() {
  mkdir -p "$WORK/lib"
  cp -u "$BUNDLE"/lib/*.so* "$BUNDLE"/lib/*.sha256 "$WORK/lib/" 2>/dev/null || true
  local so=$WORK/lib/libonnxruntime.so.1
  [[ -f $so ]] || unxz "$so" "$BUNDLE/lib/libonnxruntime.so.1.xz"
}

# Joins the provider's parts beside the bundle's core library (where ONNX Runtime looks for it)
# and checks them against the checksum `parts` wrote into the bundle. Returns 1 when they did
# not all travel.
join_parts() {
  local so=$WORK/lib/libonnxruntime_providers_cuda.so
  [[ -f $so ]] && return 0
  compgen -G "$PARTS/part-*" >/dev/null || return 1
  local want=$BUNDLE/lib/providers_cuda.sha256
  [[ -f $want ]] || { echo "gpu_verify: no checksum in the bundle: run 'parts' after 'bundle'" >&2; return 1; }
  unxz "$so" "$PARTS"/part-* || return 1
  if [[ $(sha256sum "$so" | cut -d' ' -f1) != $(cat "$want") ]]; then
    echo "gpu_verify: the joined CUDA provider does not match its checksum" >&2
    rm -f "$so"
    return 1
  fi
}

# The CUDA libraries the provider needs (cuDNN 9, cuBLAS, cuRAND, runtime) come from the GPU
# machine's Python wheels (site-packages/nvidia/*/lib).
nvidia_wheel_libs() {
  "$PYTHON" - <<'PY' 2>/dev/null || true
import glob, os, site
dirs = []
for base in site.getsitepackages() + [site.getusersitepackages()]:
    dirs += sorted(glob.glob(os.path.join(base, "nvidia", "*", "lib")))
print(":".join(dirs))
PY
}

models() {
  local out=$WORK/out
  mkdir -p "$out"
  local fail=0 dir=$WORK/models
  unpack_core || { echo "gpu_verify: cannot unpack the bundle's ONNX Runtime library"; return 1; }
  export LD_LIBRARY_PATH=$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "== models: export (random weights) and PyTorch reference"
  "$PYTHON" "$ROOT/tools/gpu_models.py" export --out "$dir" 2>&1 | grep -v Warning || fail=1
  "$PYTHON" "$ROOT/tools/gpu_models.py" torch-bench --out "$dir" --batch 1,4 || fail=1
  cp "$dir/torch_bench.jsonl" "$out/" 2>/dev/null || true
  ship_logs
  echo "== models: percept on cuda (model_bench: whole path against inference alone)"
  if join_parts; then
    local wheels
    wheels=$(nvidia_wheel_libs)
    export LD_LIBRARY_PATH=$LD_LIBRARY_PATH${wheels:+:$wheels}
    : >"$out/model_bench.jsonl"
    local models=("$dir"/*.onnx)
    if [[ ! -f ${models[0]} ]]; then
      echo "gpu_verify: no model was exported: percept on the GPU NOT measured"
      return 1
    fi
    for m in "${models[@]}"; do
      # --require-device: a CPU fallback stops at once (timing it could outlast the call).
      if ! "$BUNDLE/model_bench" --model "$m" --device cuda --require-device 1 --batch 1,4 \
        --warmup 20 --iterations 100 2>>"$out/model_bench.log" | tee -a "$out/model_bench.jsonl"; then
        echo "gpu_verify: model_bench failed on $m (model_bench.log): percept on the GPU NOT measured"
        fail=1
      fi
      ship_logs
    done
  else
    echo "gpu_verify: the CUDA provider's parts did not all travel: percept on the GPU NOT measured"
    fail=1
  fi
  return $fail
}

# The logs as one file for the device tool's $OUT (it returns at most 8 files).
# Called after every step, so that a call stopped at its time limit still returns the logs.
ship_logs() {
  [[ -n ${OUT:-} && -d $WORK/out ]] || return 0
  tar czf "$OUT/gpu_verify_logs.tar.gz" -C "$WORK" out
}

run() {
  local out=$WORK/out
  mkdir -p "$out"
  [[ -x $BUNDLE/gpu_kernel_tests ]] || { echo "gpu_verify: no bundle; run '$0 bundle' first" >&2; exit 2; }
  unpack_core || { echo "gpu_verify: cannot unpack the bundle's ONNX Runtime library" >&2; exit 2; }
  join_parts || echo "gpu_verify: the CUDA provider's parts are not all here (models will say so)"
  local wheels
  wheels=$(nvidia_wheel_libs)
  export LD_LIBRARY_PATH=$WORK/lib${wheels:+:$wheels}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PERCEPT_TEST_FILES=$BUNDLE  # third_party files the parity tests need (TEST_FILES)
  local fail=0
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv || true
  } | tee "$out/device.txt"
  for t in gpu_pool_tests gpu_launcher_tests parity_tests gpu_kernel_tests imgproc_launcher_tests \
    imgproc_kernel_tests; do
    echo "== $t"
    if ! "$BUNDLE/$t" 2>&1 | tee "$out/$t.txt"; then fail=1; fi
    if grep -q '\[  SKIPPED \]' "$out/$t.txt"; then
      echo "gpu_verify: $t skipped tests on a GPU machine: counted as a failure"
      fail=1
    fi
    ship_logs
  done
  local cs
  cs=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
  if [[ -n $cs ]]; then
    # Without the DevicePool test (its deliberate 1 PiB cudaMalloc failure would count as an
    # API error in the sanitizer's summary) and the task comparisons (DetectorOnCuda,
    # TaskParity: ONNX Runtime's own kernels are not ours to check, and slow under the sanitizer).
    echo "== compute-sanitizer memcheck gpu_kernel_tests"
    "$cs" --tool memcheck --error-exitcode 1 --leak-check full "$BUNDLE/gpu_kernel_tests" \
      --gtest_filter=-DevicePool.*:DetectorOnCuda.*:TaskParity.* >"$out/memcheck.txt" 2>&1 || fail=1
    tail -5 "$out/memcheck.txt"
    ship_logs
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
  ship_logs
  models || fail=1
  if [[ $fail == 0 ]]; then echo "gpu_verify: PASS"; else echo "gpu_verify: FAIL"; fi
  return $fail
}

case ${1:-all} in
  bundle) bundle ;;
  parts) parts ;;
  run) status=0; run || status=$?; ship_logs; exit $status ;;
  models) status=0; models || status=$?; ship_logs; exit $status ;;
  all) bundle && { status=0; run || status=$?; ship_logs; exit $status; } ;;
  *) echo "usage: $0 [bundle|parts|run|models]" >&2; exit 2 ;;
esac
