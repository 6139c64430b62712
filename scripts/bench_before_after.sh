#!/usr/bin/env bash
# Before/after comparison of a change on P1, P3, P4 and P11 (docs/PERFORMANCE.md): two
# checkouts built the same way, their benchmarks run in alternation so that both see the same
# machine load, ratios against the reference measured in the same run.
#   scripts/bench_before_after.sh BEFORE_TREE AFTER_TREE
# Each tree needs `build/bench/{bench_end_to_end,bench_decode,bench_pipeline}` and
# `build/percept` (e.g. `git worktree add /tmp/before <commit>`, then in it
# `cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPERCEPT_CUDA=OFF
# -DPERCEPT_BUILD_TESTS=OFF && ninja -C build bench_end_to_end bench_decode bench_pipeline percept`).
#   REPS=3 (alternations), P11_FRAMES=300 (frames per camera of the reference scenario).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_TREE AFTER_TREE" >&2; exit 2; }
before=$(realpath "$1") after=$(realpath "$2")
PYTHON=${PERCEPT_PYTHON:-/usr/bin/python3}
REPS=${REPS:-3}
out=$(mktemp -d)
model=$out/yolov8n.onnx
"$PYTHON" "$(dirname "$0")/../tools/export_yolov8n.py" "$model" >/dev/null
for rep in $(seq "$REPS"); do
  for side in before after; do
    tree=${!side}
    PERCEPT_BENCH_MODEL=$model PERCEPT_BENCH_THREADS=2 "$tree/build/bench/bench_end_to_end" \
      --benchmark_filter=/0 --benchmark_repetitions=3 --benchmark_min_time=1.5 \
      --benchmark_enable_random_interleaving=true --benchmark_out_format=json \
      --benchmark_out="$out/e2e_${side}_$rep.json" >/dev/null 2>&1
    "$tree/build/bench/bench_decode" --benchmark_repetitions=3 --benchmark_out_format=json \
      --benchmark_out="$out/dec_${side}_$rep.json" >/dev/null 2>&1
    "$tree/build/bench/bench_pipeline" --reps 2 --seconds 4 --threads 2 2>/dev/null \
      >"$out/p4_${side}_$rep.txt"
    (cd "$tree" && build/percept run configs/reference_scenario.yaml \
       --max-frames "${P11_FRAMES:-300}" >/dev/null 2>&1 &&
     cp build/reference_scenario/summary.json "$out/p11_${side}_$rep.json")
  done
done
"$PYTHON" - "$out" "$REPS" <<'PY'
import glob, json, re, statistics as st, sys
out, reps = sys.argv[1], int(sys.argv[2])
def med(f, name):
    return st.median(b["real_time"] for b in json.load(open(f))["benchmarks"]
                     if b.get("run_type") == "iteration" and b["run_name"].split("/min_time")[0] == name)
for side in ("before", "after"):
    r = range(1, reps + 1)
    p1 = [med(f"{out}/e2e_{side}_{i}.json", "BM_EndToEnd_PerceptDetect/0") for i in r]
    bare = [med(f"{out}/e2e_{side}_{i}.json", "BM_EndToEnd_BareOnnxRuntime/0") for i in r]
    p3 = [med(f"{out}/dec_{side}_{i}.json", "BM_Decode_OpenCvRecipe") /
          med(f"{out}/dec_{side}_{i}.json", "BM_Decode_Percept") for i in r]
    p4 = []
    for i in r:
        for line in open(f"{out}/p4_{side}_{i}.txt"):
            m = re.match(r"rep \d+: naive ([\d.]+) FPS, pipeline ([\d.]+) FPS", line)
            if m: p4.append((float(m.group(1)), float(m.group(2))))
    p11 = []
    for i in r:
        s = json.load(open(f"{out}/p11_{side}_{i}.json"))
        p11.append(st.median(c["end_to_end_ms"]["p99"] / c["end_to_end_ms"]["p50"] for c in s["cameras"]))
    ratios = [a / b for a, b in zip(p1, bare)]
    print(f"{side:6} P1 percept {st.median(p1):.1f} ms, bare Run {st.median(bare):.1f} ms, ratio "
          f"{st.median(ratios):.3f} (runs {', '.join(f'{x:.3f}' for x in ratios)})")
    print(f"{side:6} P3 decode + NMS {st.median(p3):.2f}x faster than the OpenCV recipe "
          f"(runs {', '.join(f'{x:.2f}' for x in p3)})")
    print(f"{side:6} P4 pipeline {st.median(p[1] for p in p4):.1f} FPS, naive loop "
          f"{st.median(p[0] for p in p4):.1f} FPS, ratio {st.median(p[1] / p[0] for p in p4):.2f}")
    print(f"{side:6} P11 p99/p50 {st.median(p11):.2f} (runs {', '.join(f'{x:.2f}' for x in p11)})")
PY
rm -rf "$out"
