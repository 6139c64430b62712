#!/usr/bin/env bash
# Replay speed (docs/PERFORMANCE.md, "Replaying a bag"): the demo clip (300 frames, 960x540)
# recorded into a bag (images: true; none and zstd), then the same frames through the same
# light model (the shapes classifier, 1 thread), lossless, from the video file and from each
# bag, alternating, 5 runs each; prints each run's FPS and the medians.
#   bench/replay_fps.sh [OUT_DIR]     (needs build/percept and build/demo/shapes.avi: make demo)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/percept_replay_fps}
clip=build/demo/shapes.avi
[ -f "$clip" ] || { echo "no $clip: run make demo first" >&2; exit 2; }
mkdir -p "$out"
config() {  # $1 name, $2 camera line, $3 extra output line
  cat > "$out/$1.yaml" <<YAML
mode: lossless
cameras:
  - $2
models:
  - {id: cls, path: $PWD/models/shapes_cls.onnx, threads: 1}
output:
  dir: $out/run_$1
  video: false
$3
YAML
}
for c in none zstd; do
  config "rec_$c" "{id: front, source: video, path: $PWD/$clip}" \
    "  bag: {path: $out/$c.mcap, images: true, compression: $c}"
  build/percept run "$out/rec_$c.yaml" > /dev/null 2>&1
done
config video "{id: front, source: video, path: $PWD/$clip}" ""
config bag_none "{id: front, source: bag, path: $out/none.mcap, topic: /percept/front/image_raw}" ""
config bag_zstd "{id: front, source: bag, path: $out/zstd.mcap, topic: /percept/front/image_raw}" ""
ls -l "$out"/*.mcap
declare -A fps
for rep in 1 2 3 4 5; do
  for k in video bag_none bag_zstd; do
    f=$(build/percept run "$out/$k.yaml" 2>&1 | sed -n 's/^lossless mode.* \([0-9.]*\) FPS$/\1/p')
    fps[$k]+="$f "
    echo "run $rep $k: $f FPS"
  done
done
for k in video bag_none bag_zstd; do
  echo "$k: median $(echo ${fps[$k]} | tr ' ' '\n' | sort -n | sed -n 3p) FPS (${fps[$k]})"
done
