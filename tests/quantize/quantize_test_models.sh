#!/usr/bin/env bash
# ctest fixture: quantizes the four trained test models with `percept quantize`, each
# calibrated on frames from its own generator with seeds that neither training nor the
# validation sets use, into OUT/int8/. The reports (JSON) stay beside the models.
#   quantize_test_models.sh PERCEPT PYTHON TOOLS MODELS OUT
set -euo pipefail
percept=$1 python=$2 tools=$3 models=$4 out=$5
calib=$out/int8/calib
mkdir -p "$calib"
[ -f "$calib/shapes/labels.json" ] ||
  "$python" "$tools/shapes_dataset.py" --out "$calib/shapes" --count 110 --seed 4242 >/dev/null
[ -f "$calib/scene/labels.json" ] ||
  "$python" "$tools/scene3d.py" --out "$calib/scene" --count 44 --seed 4243 >/dev/null
[ -f "$calib/classify/labels.json" ] ||
  "$python" "$tools/classify_dataset.py" --out "$calib/classify" --count 110 --seed 4244 >/dev/null
q() {  # model calib-images frames eval-frames
  "$percept" quantize -m "$models/$1.onnx" --calib "$2" --frames "$3" --eval-frames "$4" \
    -o "$out/int8/$1.int8.onnx" --report "$out/int8/$1.report.json" --threads 2
}
q shapes_yolov8 "$calib/shapes/images" 100 10
q scene_depth "$calib/scene/images" 40 4
q scene_seg "$calib/scene/images" 40 4
q shapes_cls "$calib/classify/images" 100 10
