#!/usr/bin/env bash
# Runs the CPU benchmarks of docs/PERFORMANCE.md and prints each target's ratio, measured in the
# same run as its reference. Medians of REPS repetitions (default 5), the two sides of a ratio
# interleaved so that both see the same machine load.
#   scripts/bench.sh            (after `make build`; `make bench` does both)
#   REPS=9 THREADS=2 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PERCEPT_PYTHON:-/usr/bin/python3}
REPS=${REPS:-5}
THREADS=${THREADS:-2}
out=build/bench/results
mkdir -p "$out"
model=build/bench/yolov8n.onnx
[ -s "$model" ] || "$PYTHON" tools/export_yolov8n.py "$model"

common=(--benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true
        --benchmark_out_format=json)
build/bench/bench_letterbox "${common[@]}" --benchmark_out="$out/letterbox.json" >/dev/null
build/bench/bench_decode "${common[@]}" --benchmark_out="$out/decode.json" >/dev/null
PERCEPT_BENCH_MODEL=$model PERCEPT_BENCH_THREADS=$THREADS build/bench/bench_end_to_end \
  "${common[@]}" --benchmark_out="$out/end_to_end.json" >/dev/null
build/bench/bench_pipeline --reps "$REPS" --seconds "${P4_SECONDS:-6}" --threads 2 \
  2>/dev/null | tee "$out/pipeline.txt" | grep -E "^P4|^  camera|^  model"

"$PYTHON" - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def medians(name):
    runs = {}
    for b in json.load(open(f"{out}/{name}.json"))["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"].split("/min_time")[0]
        runs.setdefault(name, []).append(b["real_time"])
    return {k: statistics.median(v) for k, v in runs.items()}
lb, dc, e2e = medians("letterbox"), medians("decode"), medians("end_to_end")
p, cv, mc = lb["BM_Letterbox_Percept"], lb["BM_Letterbox_OpenCvChain"], lb["BM_Letterbox_MemcpyOutput"]
print(f"P2 letterbox 1920x1080 -> 640: percept {p:.0f} us, OpenCV chain {cv:.0f} us "
      f"-> {cv / p:.2f}x faster (target >= 2.5x); memcpy {mc:.0f} us -> {p / mc:.2f}x of memcpy "
      f"(target <= 1.5x)")
p, cv = dc["BM_Decode_Percept"], dc["BM_Decode_OpenCvRecipe"]
print(f"P3 decode + NMS [1, 84, 8400]: percept {p:.0f} us, OpenCV recipe {cv:.0f} us "
      f"-> {cv / p:.2f}x faster (target >= 5x)")
for spin in (0, 1):
    bare, det = e2e[f"BM_EndToEnd_BareOnnxRuntime/{spin}"], e2e[f"BM_EndToEnd_PerceptDetect/{spin}"]
    print(f"P1 end to end YOLOv8n-sized 640, batch 1, spin-wait {'on' if spin else 'off'}: "
          f"percept {det:.1f} ms, bare ONNX Runtime Run {bare:.1f} ms -> {det / bare:.3f}x "
          f"(target <= 1.05x)")
PY
