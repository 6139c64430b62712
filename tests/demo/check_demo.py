#!/usr/bin/python3
"""Scores the demo run's detections.jsonl against the demo clip's ground truth.

    check_demo.py DETECTIONS.jsonl LABELS.jsonl [--camera C] [--model M]
                  [--min-precision P] [--min-recall R]

Every detection line must be valid JSON with the documented keys; each frame's detections are
matched greedily (highest score first) to unmatched ground-truth boxes of the same class at
IoU >= 0.5. Exits 1 when precision or recall over all frames is below the bound, so the demo
test fails if the pipeline stops finding the shapes (wrong letterbox, decode, mapping...).
"""
import argparse
import json
import sys


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("detections")
    ap.add_argument("labels")
    ap.add_argument("--camera", help="only this camera's lines (the clip's)")
    ap.add_argument("--model", help="only this model's lines")
    ap.add_argument("--min-precision", type=float, default=0.9)
    ap.add_argument("--min-recall", type=float, default=0.9)
    args = ap.parse_args()

    truth = {}
    with open(args.labels) as f:
        for line in f:
            j = json.loads(line)
            truth[j["frame"]] = j["objects"]
    tp = fp = fn = frames = 0
    with open(args.detections) as f:
        for n, line in enumerate(f, 1):
            j = json.loads(line)
            for key in ("camera", "frame", "model", "width", "height", "timing_ms"):
                if key not in j:
                    sys.exit(f"{args.detections}:{n}: missing key '{key}'")
            if (args.camera and j["camera"] != args.camera) or \
                    (args.model and j["model"] != args.model):
                continue
            if "detections" not in j:
                sys.exit(f"{args.detections}:{n}: missing key 'detections'")
            gts = truth[j["frame"]]
            used = [False] * len(gts)
            for d in sorted(j["detections"], key=lambda d: -d["score"]):
                best, best_iou = -1, 0.5
                for k, g in enumerate(gts):
                    if used[k] or g["class_id"] != d["class_id"]:
                        continue
                    o = iou(d["box"], g["box"])
                    if o >= best_iou:
                        best, best_iou = k, o
                if best >= 0:
                    used[best] = True
                    tp += 1
                else:
                    fp += 1
            fn += used.count(False)
            frames += 1
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    print(f"demo: {frames} frames, {tp} true positives, {fp} false positives, {fn} missed: "
          f"precision {precision:.3f}, recall {recall:.3f}")
    if frames == 0:
        sys.exit("demo: no frames in " + args.detections)
    if precision < args.min_precision or recall < args.min_recall:
        sys.exit(f"demo: below precision {args.min_precision} / recall {args.min_recall}")


if __name__ == "__main__":
    main()
