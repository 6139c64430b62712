#!/usr/bin/env bash
# The demo: generates a clip of moving shapes (300 frames, 960x540, 30 FPS) once, runs the
# demo pipeline (configs/demo.yaml: that clip and two synthetic cameras; detection, tracking,
# depth, 3D, pose) and its HTML report, and says where the outputs are.
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

out=build/demo/out
build/percept run configs/demo.yaml
build/percept report "$out/telemetry.jsonl" -o "$out/report.html" > /dev/null
echo
echo "demo outputs in $out/:"
echo "  mosaic.annotated.avi   the three cameras in one video: boxes with track ids (#n) and"
echo "                         trails, distances, the depth map inset (front, left), pose"
echo "                         keypoints (right)"
echo "  detections.jsonl       one line per frame and model: boxes, labels, scores, track_id,"
echo "                         velocity_px_s, distance and position_m [x, y, z] in metres"
echo "                         (front, left), keypoints (right), stage timings"
echo "  report.html            the run's profile: latency over time, stage breakdown, bottleneck"
echo "  telemetry.jsonl        a snapshot every 0.5 s (report.html is made from it)"
echo "  summary.json           frames, FPS, latency percentiles per camera and model, tracks"
echo "  (front camera's clip: $video, ground truth: $video.labels.jsonl)"
