#!/usr/bin/python3
"""Evaluate the dense (depth / segmentation) and classification ONNX models.

Runs the exported graph through OpenCV DNN (no onnxruntime here) on a data set
written by tools/scene3d.py / tools/classify_dataset.py, or rendered in memory
from --seed/--count, with exactly the pre/post-processing the C++ runtime uses:

  dense: BGR frame -> cv2.resize (stretch, INTER_LINEAR) to 224x168 -> RGB ->
         x/255 -> (x - mean) / std (ImageNet) -> NCHW float32;
         output [1, C, 168, 224] resized back to the frame size with
         cv2.resize INTER_LINEAR (per channel); segmentation = argmax of the
         resized logits.
  classify: BGR -> cv2.resize to SxS (INTER_LINEAR, no-op at S=64) -> RGB -> x/255.

Metrics:
  depth: AbsRel = mean |pred - gt| / gt over all pixels of an image, averaged
         over images; "raw" uses the metric output, "median-scaled" first
         multiplies pred by median(gt) / median(pred) per image.  Also delta1
         (fraction with max(pred/gt, gt/pred) < 1.25) and RMSE (m).
  segment: mIoU = mean over classes present (gt or pred) of the IoU
         accumulated over the whole set; also the mean of per-image mIoU
         (classes present in that image) and pixel accuracy.
  classify: top-1 accuracy.

Usage:
  /usr/bin/python3 tools/eval_dense.py --task depth    --model models/scene_depth.onnx --seed 777 --count 50
  /usr/bin/python3 tools/eval_dense.py --task segment  --model models/scene_seg.onnx   --data /tmp/scene_val
  /usr/bin/python3 tools/eval_dense.py --task classify --model models/shapes_cls.onnx  --seed 777 --count 1000
"""

import argparse
import ast
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scene3d  # noqa: E402

IN_H, IN_W = 168, 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def preprocess_dense(img_bgr):
    """BGR uint8 HxWx3 -> float32 [3, 168, 224] (RGB, ImageNet-normalised)."""
    x = cv2.resize(img_bgr, (IN_W, IN_H), interpolation=cv2.INTER_LINEAR)
    x = x[..., ::-1].astype(np.float32) / 255.0
    return ((x - MEAN) / STD).transpose(2, 0, 1).copy()


def resize_output(out_chw, width, height):
    """[C, h, w] float -> [C, height, width] by cv2.resize INTER_LINEAR per channel."""
    return np.stack([cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in out_chw])


def scene_iter(data=None, seed=777, count=50):
    """Yields (img_bgr, depth, seg) from a written data set or rendered in memory."""
    if data:
        yield from scene3d.load_dataset(data)
    else:
        for i in range(count):
            yield scene3d.render_scene(scene3d.image_rng(seed, i))


def depth_metrics(pred, gt):
    r = {}
    for name, p in (("raw", pred), ("med", pred * (np.median(gt) / max(1e-9, np.median(pred))))):
        r["absrel_" + name] = float(np.mean(np.abs(p - gt) / gt))
    ratio = np.maximum(pred / gt, gt / pred)
    r["delta1"] = float(np.mean(ratio < 1.25))
    r["rmse"] = float(np.sqrt(np.mean((pred - gt) ** 2)))
    return r


def evaluate_dense(predict, task, scenes, num_classes=scene3d.NUM_CLASSES):
    """predict(x [1,3,168,224] float32) -> np [1, C, 168, 224]. Returns a dict of metrics."""
    per = []
    conf = np.zeros((num_classes, num_classes), np.int64)
    img_miou = []
    n = 0
    for img, depth, seg in scenes:
        h, w = depth.shape
        out = np.asarray(predict(preprocess_dense(img)[None]))[0]
        out = resize_output(out.astype(np.float32), w, h)
        n += 1
        if task == "depth":
            per.append(depth_metrics(out[0], depth))
        else:
            pred = out.argmax(0)
            c = np.bincount(seg.ravel().astype(np.int64) * num_classes + pred.ravel(),
                            minlength=num_classes ** 2).reshape(num_classes, num_classes)
            conf += c
            inter = np.diag(c)
            union = c.sum(0) + c.sum(1) - inter
            img_miou.append(float(np.mean(inter[union > 0] / union[union > 0])))
    if task == "depth":
        return {k: float(np.mean([p[k] for p in per])) for k in per[0]} | {"images": n}
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return {"miou": float(np.nanmean(iou)), "miou_per_image": float(np.mean(img_miou)),
            "pixel_acc": float(inter.sum() / conf.sum()),
            "iou": {scene3d.CLASSES[k]: round(float(v), 4) for k, v in enumerate(iou)}, "images": n}


def evaluate_classify(predict, images, labels, batch=100, mean=(0, 0, 0), std=(1, 1, 1)):
    """images: (N,S,S,3) BGR uint8 -> top-1 accuracy of predict(x [B,3,S,S])."""
    correct = 0
    for k in range(0, len(images), batch):
        x = images[k:k + batch][..., ::-1].astype(np.float32) / 255.0
        x = ((x - np.float32(mean)) / np.float32(std)).transpose(0, 3, 1, 2).copy()
        correct += int((np.asarray(predict(x)).argmax(1) == labels[k:k + batch]).sum())
    return {"top1": correct / len(images), "images": int(len(images))}


def cv2_predictor(path):
    net = cv2.dnn.readNetFromONNX(path)

    def predict(x):
        outs = []
        for i in range(x.shape[0]):  # batch 1 through OpenCV DNN
            net.setInput(np.ascontiguousarray(x[i:i + 1]))
            outs.append(net.forward())
        return np.concatenate(outs, 0)
    return predict


def onnx_meta(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def format_metrics(task, r):
    if task == "depth":
        return ("depth: AbsRel raw %.4f  AbsRel median-scaled %.4f  delta1 %.4f  RMSE %.3f m  (%d images)"
                % (r["absrel_raw"], r["absrel_med"], r["delta1"], r["rmse"], r["images"]))
    if task == "segment":
        return ("segment: mIoU %.4f  (per-image mIoU %.4f, pixel acc %.4f, %d images)  IoU %s"
                % (r["miou"], r["miou_per_image"], r["pixel_acc"], r["images"], r["iou"]))
    return "classify: top-1 %.4f (%d images)" % (r["top1"], r["images"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=["depth", "segment", "classify"], required=True)
    ap.add_argument("--model", required=True, help="ONNX file (run with OpenCV DNN)")
    ap.add_argument("--data", help="data set dir (scene3d.py / classify_dataset.py output)")
    ap.add_argument("--seed", type=int, default=777, help="render in memory (when no --data)")
    ap.add_argument("--count", type=int, default=None, help="default 50 scenes / 1000 shapes")
    args = ap.parse_args(argv)
    meta = onnx_meta(args.model)
    print("metadata:", json.dumps(meta))
    predict = cv2_predictor(args.model)
    t0 = time.time()
    if args.task == "classify":
        import classify_dataset as cd
        size = ast.literal_eval(meta.get("imgsz", "[64, 64]"))[0]
        if args.data:
            with open(os.path.join(args.data, "labels.json")) as f:
                lab = json.load(f)
            imgs = np.stack([cv2.resize(cv2.imread(os.path.join(args.data, im["file"])), (size, size),
                                        interpolation=cv2.INTER_LINEAR) for im in lab["images"]])
            labels = np.array([im["class_id"] for im in lab["images"]])
        else:
            imgs, labels = cd.render_array(args.seed, args.count or 1000, size)
        r = evaluate_classify(predict, imgs, labels, mean=ast.literal_eval(meta.get("mean", "[0,0,0]")),
                              std=ast.literal_eval(meta.get("std", "[1,1,1]")))
    else:
        r = evaluate_dense(predict, args.task, scene_iter(args.data, args.seed, args.count or 50))
    print(format_metrics(args.task, r), " [%.1fs]" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
