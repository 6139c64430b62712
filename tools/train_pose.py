#!/usr/bin/python3
"""Train the small YOLOv8-pose-style "shapes" keypoint model on CPU and export it to ONNX.

Keypoints: each shape's extreme points, K = 4 in the order left, top, right, bottom
(shapes_dataset.extreme_points: one on each edge of the box), D = 3 (x, y, visibility);
a point outside the image is not labelled (visibility target 0, no position loss).

As tools/train_segmenter.py: the committed detector (models/shapes_yolov8.onnx) is loaded
back from its ONNX weights and frozen, its features computed once per training image, and
only the keypoint branch of an Ultralytics v8 Pose head is trained: cv4 per level, Conv 3x3,
Conv 3x3, Conv2d 1x1 to K*3, decoded in the graph as Ultralytics exports it:
x = (2 raw_x + anchor_x - 0.5) * stride, same for y, visibility = sigmoid(raw_v).
Loss on the anchors whose frozen predicted box overlaps a ground truth by IoU > 0.5: L1 of
the labelled points over the box's larger side, plus BCE of the visibility.

Run (the committed model was made with exactly this command, see models/README.md):
    /usr/bin/python3 tools/train_pose.py --steps 3000 --pool 2000 --seed 0 \\
        --data-seed 3000 --out models/shapes_yolov8_pose.onnx

Output ONNX: input "images" [batch,3,320,320]; "output0" [batch, 4+5+12, 2100] = cx, cy, w, h,
5 class probabilities, then x, y, v of the 4 keypoints (input pixels). Metadata task = "pose",
kpt_shape = [4, 3].
"""

import argparse
import copy
import multiprocessing as mp
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_dataset as sd  # noqa: E402
import train_segmenter as ts  # noqa: E402
import yolo_common as yc  # noqa: E402

IMGSZ = ts.IMGSZ
K = 4


class PoseModel(ts.Segmenter):
    def __init__(self, det):
        nn.Module.__init__(self)
        self.det = det
        ch = (64, 96, 128)
        c4 = 32  # wider than Ultralytics' max(ch[0] // 4, nk) = 16
        self.cv4 = nn.ModuleList(nn.Sequential(yc.Conv(x, c4, 3), yc.Conv(c4, c4, 3),
                                               nn.Conv2d(c4, K * 3, 1)) for x in ch)
        self._grid = {}

    def grid(self, feats):
        shapes = tuple((int(f.shape[2]), int(f.shape[3])) for f in feats)
        if shapes not in self._grid:
            a, s = yc.make_anchors(shapes, (8.0, 16.0, 32.0), 0.5, torch.float32)
            self._grid[shapes] = (a.T.unsqueeze(0).contiguous(), s.T.unsqueeze(0).contiguous())
        return self._grid[shapes]

    def head_forward(self, feats, boxes_cls):
        b = feats[0].shape[0]
        raw = torch.cat([self.cv4[i](f).reshape(b, K, 3, -1) for i, f in enumerate(feats)], 3)
        anchors, strides = self.grid(feats)            # [1, 2, N], [1, 1, N]
        xy = (raw[:, :, :2] * 2.0 + (anchors.unsqueeze(1) - 0.5)) * strides.unsqueeze(1)
        v = raw[:, :, 2:3].sigmoid()
        kpts = torch.cat((xy, v), 2).reshape(b, K * 3, -1)
        return torch.cat((boxes_cls, kpts), 1), raw[:, :, 2]


def _render_one(args):
    seed, idx = args
    kp = []
    img, objs = sd.render_image(sd.image_rng(seed, idx), keypoints=kp)
    h, w = img.shape[:2]
    lb, r, pad = yc.letterbox(img, (IMGSZ, IMGSZ))
    boxes, pts = [], []
    for o, k in zip(objs, kp):
        b = yc.boxes_to_letterbox([o["box"]], r, pad)[0]
        if b[2] - b[0] <= 1 or b[3] - b[1] <= 1:
            continue
        vis = (k[:, 0] >= 0) & (k[:, 0] <= w) & (k[:, 1] >= 0) & (k[:, 1] <= h)
        p = k * r + np.array(pad)
        boxes.append(b)
        pts.append(np.concatenate([p, vis[:, None]], 1))
    return (lb, np.array(boxes, np.float32).reshape(-1, 4),
            np.array(pts, np.float32).reshape(-1, K, 3))


def kpt_loss(out, vis_logit, targets, pos_per_image, gen):
    losses = []
    for bi, (gb, gk) in enumerate(targets):
        if len(gb) == 0:
            continue
        p = out[bi, :4].T
        pred = torch.cat((p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2), 1)
        best, gi = ts.box_iou(pred, gb).max(1)
        pos = torch.nonzero(best > 0.5).flatten()
        if len(pos) == 0:
            continue
        if len(pos) > pos_per_image:
            pos = pos[torch.randperm(len(pos), generator=gen)[:pos_per_image]]
        g = gi[pos]
        k = out[bi, 4:, pos].T.reshape(-1, K, 3)     # decoded x, y, v
        t = gk[g]
        scale = (gb[g, 2:] - gb[g, :2]).max(1).values.clamp(min=1.0)[:, None, None]
        lab = t[:, :, 2:3]
        l1 = ((k[:, :, :2] - t[:, :, :2]).abs() / scale * lab).sum() / lab.sum().clamp(min=1.0)
        bce = F.binary_cross_entropy_with_logits(vis_logit[bi, :, pos].T, t[:, :, 2])
        losses.append(l1 * 10.0 + bce)
    return torch.stack(losses).mean() if losses else None


def export(model, path, args, minutes):
    import onnx
    m = copy.deepcopy(model).eval()
    yc.fuse_conv_bn(m)

    class Export(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.m = inner

        def forward(self, x):
            feats, boxes_cls = self.m.frozen(x)
            return self.m.head_forward(feats, boxes_cls)[0]

    e = Export(m).eval()
    dummy = torch.zeros(1, 3, IMGSZ, IMGSZ)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o0 = e(dummy)
        torch.onnx.export(e, dummy, path, opset_version=17, do_constant_folding=True,
                          input_names=["images"], output_names=["output0"],
                          dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}})
    g = onnx.load(path)
    inits = {t.name: t for t in g.graph.initializer}
    for node in list(g.graph.node):
        if node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            g.graph.initializer.append(t)
            g.graph.node.remove(node)
    for i, d in enumerate(g.graph.output[0].type.tensor_type.shape.dim):
        d.Clear()
        if i == 0:
            d.dim_param = "batch"
        else:
            d.dim_value = int(o0.shape[i])
    onnx.checker.check_model(g)
    onnx.save(g, path)
    cmd = "/usr/bin/python3 tools/train_pose.py " + " ".join(sys.argv[1:])
    yc.add_onnx_metadata(
        path, sd.CLASSES, (IMGSZ, IMGSZ),
        description="percept shapes keypoints (extreme points left, top, right, bottom): frozen "
                    "shapes_yolov8 detector + YOLOv8 Pose branch, %d steps x %d images "
                    "(%.1f min CPU)" % (args.steps, args.batch, minutes),
        extra={"task": "pose", "kpt_shape": "[%d, 3]" % K, "seed": args.seed,
               "data_seed": args.data_seed, "training_script": "tools/train_pose.py",
               "training_command": cmd, "training_steps": args.steps,
               "training_minutes": "%.1f" % minutes})
    print("exported %s (%d bytes), output0 %s" % (path, os.path.getsize(path), list(o0.shape)),
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detector", default="models/shapes_yolov8.onnx")
    ap.add_argument("--out", default="models/shapes_yolov8_pose.onnx")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--pool", type=int, default=2000)
    ap.add_argument("--pos-per-image", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.data_seed == 12345:
        ap.error("12345 is the validation seed")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    with mp.get_context("fork").Pool(args.workers) as pool_:
        pool = list(pool_.imap(_render_one, [(args.data_seed, i) for i in range(args.pool)],
                               chunksize=16))
    print("rendered %d images in %.1fs" % (len(pool), time.time() - t0), flush=True)
    model = PoseModel(ts.load_frozen_detector(args.detector))
    yc.init_weights_like_ultralytics(model.cv4)
    feats, boxes = ts.precompute(model, [(p[0],) for p in pool])
    targets = [(torch.from_numpy(p[1]), torch.from_numpy(p[2])) for p in pool]
    opt = torch.optim.AdamW(model.cv4.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=max(0.05, 2.0 / args.steps))
    t0 = time.time()
    model.cv4.train()
    run = 0.0
    for step in range(args.steps):
        idxs = torch.from_numpy(rng.integers(0, len(pool), args.batch))
        f = [fk[idxs].float() for fk in feats]
        out, vis_logit = model.head_forward(f, boxes[idxs].float())
        loss = kpt_loss(out, vis_logit, [targets[i] for i in idxs.tolist()],
                        args.pos_per_image, gen)
        if loss is None:
            continue
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run = 0.95 * run + 0.05 * loss.item() if step else loss.item()
        if step % 50 == 0 or step == args.steps - 1:
            print("step %d/%d loss %.4f (%.1fs)" % (step, args.steps, run, time.time() - t0),
                  flush=True)
    export(model, args.out, args, (time.time() - t0) / 60)


if __name__ == "__main__":
    main()
