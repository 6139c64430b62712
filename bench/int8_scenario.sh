#!/usr/bin/env bash
# Issue 19's scenario figure: the 3-camera reference scenario (configs/reference_scenario.yaml)
# with its detector and depth model quantized by `percept quantize`, against the float models,
# in lossless mode (every frame inferred, as fast as the machine goes): aggregate FPS of each,
# runs alternating float / int8 so both see the same machine load. docs/PERFORMANCE.md, P19.
#   bench/int8_scenario.sh [RUNS=5] [FRAMES=300]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5} frames=${2:-300}
py=/usr/bin/python3 out=build/bench/int8_scenario
mkdir -p "$out"
[ -f "$out/shapes/labels.json" ] ||
  $py tools/shapes_dataset.py --out "$out/shapes" --count 200 --seed 5151 >/dev/null
[ -f "$out/scene/labels.json" ] ||
  $py tools/scene3d.py --out "$out/scene" --count 100 --seed 5152 >/dev/null
build/percept quantize -m models/shapes_yolov8.onnx --calib "$out/shapes/images" \
  -o "$out/shapes_yolov8.int8.onnx" --report "$out/shapes_yolov8.report.json" | grep -E 'speed|agreement'
build/percept quantize -m models/scene_depth.onnx --calib "$out/scene/images" --frames 80 \
  -o "$out/scene_depth.int8.onnx" --report "$out/scene_depth.report.json" | grep -E 'speed|agreement'
# The same config, the two model paths pointing at the quantized files (the rest unchanged).
sed -e "s#\.\./models/shapes_yolov8.onnx#../$out/shapes_yolov8.int8.onnx#" \
    -e "s#\.\./models/scene_depth.onnx#../$out/scene_depth.int8.onnx#" \
    configs/reference_scenario.yaml > "configs/.reference_scenario_int8.yaml"
trap 'rm -f configs/.reference_scenario_int8.yaml' EXIT
for i in $(seq "$runs"); do
  for side in float int8; do
    cfg=configs/reference_scenario.yaml
    [ $side = int8 ] && cfg=configs/.reference_scenario_int8.yaml
    build/percept run "$cfg" --mode lossless --max-frames "$frames" --no-progress \
      --output-dir "$out/run_$side" >/dev/null 2>&1
    $py -c "import json,sys; s=json.load(open('$out/run_$side/summary.json')); print('$side', round(s['fps'], 1), s['frames'], s['failed'])"
  done
done | $py -c "
import sys, statistics
fps = {'float': [], 'int8': []}
for line in sys.stdin:
    side, f, n, failed = line.split(); fps[side].append(float(f)); print(line.strip())
mf, mq = statistics.median(fps['float']), statistics.median(fps['int8'])
print(f'aggregate FPS median of {len(fps[\"float\"])}: float {mf:.1f}, int8 {mq:.1f}: {mq/mf:.2f}x')
"
