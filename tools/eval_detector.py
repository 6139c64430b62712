#!/usr/bin/python3
"""Evaluate a YOLOv8-format detector on a shapes_dataset directory (mAP@0.5).

Pure numpy/cv2 reference pipeline, the same one the C++ side implements:
Ultralytics letterbox to the model size (pad 114, BGR->RGB, /255, NCHW) ->
model -> output0 [1, 4+nc, N] (cx, cy, w, h in input pixels, class
probabilities) -> confidence threshold -> class-aware NMS (IoU 0.5, max 300)
-> boxes mapped back to original image pixels -> per-class AP@0.5 with
all-points interpolation (VOC2010+/COCO-style greedy matching by IoU),
averaged over classes.  Also prints mAP@0.5:0.95 and P/R at conf 0.25.

The model can be the exported .onnx (run by OpenCV's DNN module, i.e. the
exported graph itself) or a torch checkpoint written by train_detector.py
--ckpt (run in eval mode).  With --compare, both are run and their raw
outputs compared.

Usage:
    /usr/bin/python3 tools/shapes_dataset.py --out /tmp/shapes_val --count 200 --seed 12345
    /usr/bin/python3 tools/eval_detector.py --data /tmp/shapes_val --model models/shapes_yolov8.onnx
    /usr/bin/python3 tools/eval_detector.py --data /tmp/shapes_val --model ckpt.pt
    /usr/bin/python3 tools/eval_detector.py --data /tmp/shapes_val --model m.onnx --compare ckpt.pt
"""

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_dataset as sd  # noqa: E402
import yolo_common as yc  # noqa: E402


class OnnxCV2Runner:
    """Runs an exported ONNX graph with cv2.dnn (no onnxruntime available here)."""

    def __init__(self, path):
        import onnx
        m = onnx.load(path)
        self.meta = {p.key: p.value for p in m.metadata_props}
        dims = m.graph.input[0].type.tensor_type.shape.dim
        self.imgsz = (dims[2].dim_value, dims[3].dim_value)
        self.net = cv2.dnn.readNetFromONNX(path)
        self.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

    def __call__(self, x):
        self.net.setInput(x, "images")
        return self.net.forward("output0")


class TorchRunner:
    def __init__(self, path):
        import torch
        import train_detector as td
        torch.set_num_threads(2)
        ck = torch.load(path, map_location="cpu")
        self.model = yc.YOLOv8(ck["nc"], **ck["model_cfg"])
        self.model.load_state_dict(ck["state_dict"])
        self.model.eval()
        self.model.head.export = True
        self.imgsz = (td.IMGSZ, td.IMGSZ)
        self.meta = {"names": yc.names_repr(ck["names"])}
        self.torch = torch

    def __call__(self, x):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).numpy()


def make_runner(path):
    return OnnxCV2Runner(path) if path.endswith(".onnx") else TorchRunner(path)


def box_iou(a, b):
    """IoU matrix between xyxy boxes a [N,4] and b [M,4]."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod((br - tl).clip(0), 2)
    aa = np.prod((a[:, 2:] - a[:, :2]).clip(0), 1)
    ab = np.prod((b[:, 2:] - b[:, :2]).clip(0), 1)
    return inter / (aa[:, None] + ab[None, :] - inter + 1e-9)


def average_precision(tp, conf, n_gt):
    """All-points interpolated AP from per-detection TP flags (one class)."""
    if n_gt == 0:
        return float("nan"), np.zeros(0), np.zeros(0)
    if len(tp) == 0:
        return 0.0, np.zeros(0), np.zeros(0)
    order = np.argsort(-conf, kind="stable")
    tp = tp[order].astype(np.float64)
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / n_gt
    precision = ctp / (ctp + cfp)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[1.0], precision, [0.0]])
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    i = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])), precision, recall


def match_detections(det_boxes, det_cls, det_scores, gt_boxes, gt_cls, iou_thr):
    """Greedy matching (score order, best IoU among unmatched same-class gts)."""
    tp = np.zeros(len(det_scores), bool)
    if len(gt_boxes) == 0 or len(det_boxes) == 0:
        return tp
    ious = box_iou(det_boxes, gt_boxes)
    ious[det_cls[:, None] != gt_cls[None, :]] = 0
    used = np.zeros(len(gt_boxes), bool)
    for d in np.argsort(-det_scores, kind="stable"):
        cand = np.where(used, -1.0, ious[d])
        g = int(np.argmax(cand))
        if cand[g] >= iou_thr:
            used[g] = True
            tp[d] = True
    return tp


def evaluate(runner, data_dir, conf=0.001, iou=0.5, max_det=300, multi_label=False, limit=0,
             verbose=True):
    classes, items = sd.load_dataset(data_dir)
    nc = len(classes)
    if limit:
        items = items[:limit]
    iou_thrs = np.linspace(0.5, 0.95, 10)
    per_cls = {c: {"tp": [], "conf": [], "n_gt": 0} for c in range(nc)}
    tp_all = {t: {c: [] for c in range(nc)} for t in range(len(iou_thrs))}
    t_inf, n_dets = 0.0, 0
    pr25 = [0, 0, 0]  # tp, n_det, n_gt at conf 0.25
    for path, (w, h), gt_boxes, gt_cls in items:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        lb, r, pad = yc.letterbox(img, runner.imgsz)
        x = yc.to_input_tensor(lb)
        t0 = time.time()
        out = runner(x)
        t_inf += time.time() - t0
        boxes, scores, cls = yc.postprocess(out[0], conf, iou, max_det, multi_label)
        boxes = yc.boxes_from_letterbox(boxes, r, pad, w, h)
        n_dets += len(scores)
        for ti, thr in enumerate(iou_thrs):
            tp = match_detections(boxes, cls, scores, gt_boxes, gt_cls, thr)
            for c in range(nc):
                tp_all[ti][c].append(tp[cls == c])
            if ti == 0:
                for c in range(nc):
                    per_cls[c]["conf"].append(scores[cls == c])
                    per_cls[c]["n_gt"] += int((gt_cls == c).sum())
                hi = scores >= 0.25
                pr25[0] += int(match_detections(boxes[hi], cls[hi], scores[hi], gt_boxes, gt_cls, 0.5).sum())
                pr25[1] += int(hi.sum())
                pr25[2] += len(gt_cls)
    ap = np.zeros((len(iou_thrs), nc))
    for ti in range(len(iou_thrs)):
        for c in range(nc):
            ap[ti, c] = average_precision(np.concatenate(tp_all[ti][c]),
                                          np.concatenate(per_cls[c]["conf"]), per_cls[c]["n_gt"])[0]
    ap50 = ap[0]
    res = {
        "images": len(items),
        "objects": int(sum(per_cls[c]["n_gt"] for c in range(nc))),
        "mAP50": float(np.nanmean(ap50)),
        "mAP50_95": float(np.nanmean(ap)),
        "AP50_per_class": {classes[c]: float(ap50[c]) for c in range(nc)},
        "P@0.25": pr25[0] / max(pr25[1], 1),
        "R@0.25": pr25[0] / max(pr25[2], 1),
        "dets_per_image": n_dets / max(len(items), 1),
        "infer_ms_per_image": 1000 * t_inf / max(len(items), 1),
    }
    if verbose:
        print("images %d  objects %d  mAP@0.5 %.4f  mAP@0.5:0.95 %.4f  P %.3f R %.3f (conf 0.25)"
              % (res["images"], res["objects"], res["mAP50"], res["mAP50_95"], res["P@0.25"], res["R@0.25"]))
        for c in range(nc):
            print("  %-9s gt %4d  AP@0.5 %.4f  AP@0.5:0.95 %.4f"
                  % (classes[c], per_cls[c]["n_gt"], ap50[c], np.nanmean(ap[:, c])))
        print("  %.1f dets/image, %.1f ms/image inference" % (res["dets_per_image"], res["infer_ms_per_image"]))
    return res


def compare(onnx_path, ckpt_path, data_dir, n=8):
    """Run both the ONNX graph (cv2.dnn) and the torch checkpoint on the same inputs."""
    a, b = OnnxCV2Runner(onnx_path), TorchRunner(ckpt_path)
    _, items = sd.load_dataset(data_dir)
    worst = 0.0
    for path, _, _, _ in items[:n]:
        x = yc.to_input_tensor(yc.letterbox(cv2.imread(path), a.imgsz)[0])
        oa, ob = a(x), b(x)
        assert oa.shape == ob.shape, (oa.shape, ob.shape)
        worst = max(worst, float(np.abs(oa[:, :4] - ob[:, :4]).max()),
                    float(np.abs(oa[:, 4:] - ob[:, 4:]).max()) * 320)
        print("  %s: max|d box| %.2e px, max|d prob| %.2e" % (os.path.basename(path),
              np.abs(oa[:, :4] - ob[:, :4]).max(), np.abs(oa[:, 4:] - ob[:, 4:]).max()))
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description="mAP@0.5 of a YOLOv8-format detector on a shapes dataset")
    ap.add_argument("--data", required=True, help="dataset dir written by shapes_dataset.py")
    ap.add_argument("--model", required=True, help=".onnx (run with cv2.dnn) or torch checkpoint .pt")
    ap.add_argument("--conf", type=float, default=0.001)
    ap.add_argument("--iou", type=float, default=0.5)
    ap.add_argument("--max-det", type=int, default=300)
    ap.add_argument("--multi-label", action="store_true",
                    help="keep every class above --conf per anchor (Ultralytics val style)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images")
    ap.add_argument("--compare", default="", help="torch checkpoint to compare raw outputs against")
    ap.add_argument("--json", default="", help="write the results here")
    args = ap.parse_args(argv)
    runner = make_runner(args.model)
    print("model %s  input %s  names %s" % (args.model, runner.imgsz, runner.meta.get("names")))
    if args.compare:
        compare(args.model, args.compare, args.data)
    res = evaluate(runner, args.data, args.conf, args.iou, args.max_det, args.multi_label, args.limit)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
