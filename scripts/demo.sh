#!/usr/bin/env bash
# The demo: generates a clip of moving shapes (300 frames, 960x540, 30 FPS) once, runs the
# demo pipeline on it, and says where the outputs are.
#   scripts/demo.sh                 generate if missing, then run
#   scripts/demo.sh --prepare-only  generate only (used by the demo_config test)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PERCEPT_PYTHON:-/usr/bin/python3}
video=build/demo/shapes.avi
if [ ! -s "$video" ]; then
  mkdir -p build/demo
  "$PYTHON" tools/shapes_dataset.py --video "$video" --frames 300 --fps 30 \
    --width 960 --height 540 --seed 7
fi
[ "${1:-}" = "--prepare-only" ] && exit 0

build/percept run configs/demo.yaml
echo
echo "demo outputs in build/demo/out/:"
echo "  detections.jsonl       one line per frame: boxes, labels, scores, stage timings"
echo "  front.annotated.avi    the clip with boxes drawn"
echo "  summary.json           frames, FPS, latency percentiles per stage"
echo "  (input clip: $video, ground truth: $video.labels.jsonl)"
