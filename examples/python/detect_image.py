#!/usr/bin/env python3
"""Runs a model on one image and prints what it found, one line per detection.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/detect_image.py \
        models/shapes_yolov8.onnx some.png

(tests/python/test_percept.py runs it, so it stays working.)
"""
import sys

import cv2
import percept


def main(model_path, image_path):
    frame = cv2.imread(image_path)  # BGR, uint8 (H, W, 3): what percept.Model takes
    if frame is None:
        sys.exit("cannot read image '%s'" % image_path)
    model = percept.Model(model_path, conf=0.4)
    result = model(frame)
    print("%s: %d detections (%s, %s)" % (image_path, len(result), model.task, model.backend))
    for label, score, box in zip(result.labels, result.scores, result.boxes):
        x1, y1, x2, y2 = box
        print("  %-10s %.2f  [%.0f, %.0f, %.0f, %.0f]" % (label, score, x1, y1, x2, y2))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: detect_image.py MODEL.onnx IMAGE")
    main(sys.argv[1], sys.argv[2])
