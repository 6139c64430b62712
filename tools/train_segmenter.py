#!/usr/bin/python3
"""Train the small YOLOv8-seg-style "shapes" instance segmenter on CPU and export it to ONNX.

The committed detector (models/shapes_yolov8.onnx) is loaded back into torch from its ONNX
weights (the initializer names are the fused module's state_dict keys) and frozen; only the
segmentation parts of an Ultralytics v8 Segment head are trained on top of it:

- Proto: Conv 3x3 on the stride-8 neck output, x2 nearest upsample, Conv 3x3, Conv 1x1 to
  nm = 32 prototype masks at stride 4 (80x80 at 320);
- cv4: per level Conv 3x3, Conv 3x3, Conv2d 1x1 to nm mask coefficients per anchor.

Freezing the detector keeps its boxes and scores exactly those of the committed detector
(whose mAP is measured in tests/accuracy/map_test.cpp) and makes a short CPU run enough.
Mask loss as Ultralytics' single_mask_loss: BCE of (coefficients x protos) against the
ground-truth visible mask at proto resolution, cropped to the ground-truth box, averaged
over the box area. No augmentation: the detector's features are computed once per training
image (the detector is frozen), so a step costs the mask branch only. Positive anchors: those whose (frozen) predicted box overlaps a ground
truth by IoU > 0.5 (the anchors NMS will keep), at most --pos-per-image per image.

Run (the committed model was made with exactly this command, see models/README.md):
    /usr/bin/python3 tools/train_segmenter.py --steps 1200 --pool 2000 --seed 0 \\
        --data-seed 2000 --out models/shapes_yolov8_seg.onnx

Output ONNX: input "images" [batch,3,320,320] float32 RGB/255 (letterboxed, pad 114),
"output0" [batch, 4+5+32, 2100] = cx, cy, w, h, 5 class probabilities, 32 mask
coefficients; "output1" [batch, 32, 80, 80] prototypes. Metadata task = "segment".
"""

import argparse
import copy
import multiprocessing as mp
import os
import sys
import time
import warnings

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_dataset as sd  # noqa: E402
import train_detector as td  # noqa: E402
import yolo_common as yc  # noqa: E402

IMGSZ = td.IMGSZ
NM = 32          # mask coefficients / prototypes
PROTO_C = 32     # hidden channels of the proto branch
MASK_S = IMGSZ // 4


def load_frozen_detector(onnx_path):
    """The committed detector, fused (no BN), weights read from its ONNX initializers."""
    import onnx
    from onnx import numpy_helper
    det = yc.fuse_conv_bn(td.build_model().eval())
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(onnx_path).graph.initializer}
    sd_ = det.state_dict()
    missing = [k for k in sd_ if k not in inits and not k.endswith("dfl.conv.weight")]
    if missing:
        raise SystemExit("%s: no initializer for %s" % (onnx_path, missing[:5]))
    det.load_state_dict({k: torch.from_numpy(inits[k].copy()) if k in inits else v
                         for k, v in sd_.items()})
    for p in det.parameters():
        p.requires_grad_(False)
    return det


class SegHead(nn.Module):
    def __init__(self, ch=(64, 96, 128)):
        super().__init__()
        c4 = max(ch[0] // 4, NM)
        self.cv4 = nn.ModuleList(nn.Sequential(yc.Conv(x, c4, 3), yc.Conv(c4, c4, 3),
                                               nn.Conv2d(c4, NM, 1)) for x in ch)
        # Both 3x3 convs at stride 8, then the x2 upsample and a 1x1 conv at stride 4: a
        # quarter of the cost of Ultralytics' order (3x3 after the upsample) on a CPU budget.
        self.proto = nn.Sequential(yc.Conv(ch[0], PROTO_C, 3), yc.Conv(PROTO_C, PROTO_C, 3),
                                   nn.Upsample(scale_factor=2.0, mode="nearest"),
                                   yc.Conv(PROTO_C, NM, 1))


class Segmenter(nn.Module):
    """Frozen detector + trainable SegHead; forward gives (output0 [B,4+nc+nm,N], protos)."""

    def __init__(self, det, head):
        super().__init__()
        self.det, self.seg = det, head

    def neck(self, x):
        m = self.det.model
        x = m[2](m[1](m[0](x)))
        p3 = m[4](m[3](x))
        p4 = m[6](m[5](p3))
        p5 = m[9](m[8](m[7](p4)))
        h12 = m[12](torch.cat((m[10](p5), p4), 1))
        o3 = m[15](torch.cat((m[13](h12), p3), 1))
        o4 = m[18](torch.cat((m[16](o3), h12), 1))
        o5 = m[21](torch.cat((m[19](o4), p5), 1))
        return [o3, o4, o5]

    def frozen(self, x):
        """What the frozen detector gives: neck features and output0's box + class rows."""
        with torch.no_grad():
            feats = self.neck(x)
            self.det.head.export = True
            return feats, self.det.head(feats)

    def forward(self, x):
        feats, boxes_cls = self.frozen(x)
        return self.head_forward(feats, boxes_cls)

    def head_forward(self, feats, boxes_cls):
        b = feats[0].shape[0]
        coef = torch.cat([self.seg.cv4[i](f).reshape(b, NM, -1) for i, f in enumerate(feats)], 2)
        return torch.cat((boxes_cls, coef), 1), self.seg.proto(feats[0])


# --------------------------------------------------------------------------
# Data: letterboxed images, boxes in input pixels, visible masks at proto resolution
# --------------------------------------------------------------------------

def _render_one(args):
    seed, idx = args
    masks = []
    img, objs = sd.render_image(sd.image_rng(seed, idx), masks=masks)
    h, w = img.shape[:2]
    lb, r, pad = yc.letterbox(img, (IMGSZ, IMGSZ))
    nw, nh = int(round(w * r)), int(round(h * r))
    boxes, cls, pm = [], [], []
    for o, (x0, y0, vis) in zip(objs, masks):
        full = np.zeros((h, w), np.uint8)
        full[y0:y0 + vis.shape[0], x0:x0 + vis.shape[1]][vis] = 255
        full = cv2.resize(full, (nw, nh), interpolation=cv2.INTER_LINEAR) if (w, h) != (nw, nh) else full
        canvas = np.zeros((IMGSZ, IMGSZ), np.uint8)
        canvas[pad[1]:pad[1] + nh, pad[0]:pad[0] + nw] = full
        small = cv2.resize(canvas, (MASK_S, MASK_S), interpolation=cv2.INTER_AREA)
        b = yc.boxes_to_letterbox([o["box"]], r, pad)[0]
        if b[2] - b[0] <= 1 or b[3] - b[1] <= 1 or not (small > 127).any():
            continue
        boxes.append(b)
        cls.append(o["class_id"])
        pm.append(small > 127)
    boxes = np.array(boxes, np.float32).reshape(-1, 4)
    return lb, boxes, np.array(cls, np.int64), np.array(pm, bool).reshape(-1, MASK_S, MASK_S)


def render_pool(seed, n, workers):
    t0 = time.time()
    jobs = [(seed, i) for i in range(n)]
    with mp.get_context("fork").Pool(workers) as pool:
        items = list(pool.imap(_render_one, jobs, chunksize=16))
    print("rendered %d images (seed %d) in %.1fs" % (n, seed, time.time() - t0), flush=True)
    return items


def precompute(model, pool, batch=32):
    """The frozen detector's features and outputs for every pool image (float16), once: the
    detector does not train, so the training steps run the segmentation head only."""
    t0 = time.time()
    feats, outs = [[], [], []], []
    for i in range(0, len(pool), batch):
        ims = np.stack([p[0] for p in pool[i:i + batch]])
        x = torch.from_numpy(ims[..., ::-1].transpose(0, 3, 1, 2).copy()).float().div_(255.0)
        f, o = model.frozen(x)
        for k in range(3):
            feats[k].append(f[k].half())
        outs.append(o[:, :4].half())
    print("precomputed detector features of %d images in %.1fs" % (len(pool), time.time() - t0),
          flush=True)
    return [torch.cat(f) for f in feats], torch.cat(outs)


def box_iou(a, b):
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    area = lambda z: (z[:, 2] - z[:, 0]).clamp(min=0) * (z[:, 3] - z[:, 1]).clamp(min=0)
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-9)


def mask_loss(out, protos, targets, nc, pos_per_image, gen):
    """Ultralytics single_mask_loss over the positives of each image."""
    losses = []
    ys = torch.arange(MASK_S, dtype=torch.float32)[:, None] + 0.5
    xs = torch.arange(MASK_S, dtype=torch.float32)[None, :] + 0.5
    for bi, (gb, gc, gm) in enumerate(targets):
        if len(gb) == 0:
            continue
        p = out[bi, :4].T
        pred = torch.cat((p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2), 1)
        iou = box_iou(pred, gb)
        best, gi = iou.max(1)
        pos = torch.nonzero(best > 0.5).flatten()
        if len(pos) == 0:
            continue
        if len(pos) > pos_per_image:
            pos = pos[torch.randperm(len(pos), generator=gen)[:pos_per_image]]
        coef = out[bi, 4 + nc:, pos].T                       # [P, nm]
        logits = (coef @ protos[bi].reshape(NM, -1)).reshape(-1, MASK_S, MASK_S)
        g = gi[pos]
        tgt = gm[g]
        bx = gb[g] / 4.0                                     # gt boxes at proto resolution
        crop = ((xs >= bx[:, 0, None, None]) & (xs < bx[:, 2, None, None]) &
                (ys >= bx[:, 1, None, None]) & (ys < bx[:, 3, None, None])).float()
        area = ((bx[:, 2] - bx[:, 0]) * (bx[:, 3] - bx[:, 1])).clamp(min=1.0)
        bce = F.binary_cross_entropy_with_logits(logits, tgt, reduction="none")
        losses.append(((bce * crop).sum((1, 2)) / area).mean())
    return torch.stack(losses).mean() if losses else None


def export(model, path, args, steps, minutes):
    import onnx
    m = copy.deepcopy(model).eval()
    yc.fuse_conv_bn(m.seg)
    dummy = torch.zeros(1, 3, IMGSZ, IMGSZ)
    dyn = {"images": {0: "batch"}, "output0": {0: "batch"}, "output1": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o0, o1 = m(dummy)
        torch.onnx.export(m, dummy, path, opset_version=17, do_constant_folding=True,
                          input_names=["images"], output_names=["output0", "output1"],
                          dynamic_axes=dyn)
    g = onnx.load(path)
    inits = {t.name: t for t in g.graph.initializer}
    for node in list(g.graph.node):  # materialise deduplicated initializers (see yolo_common)
        if node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            g.graph.initializer.append(t)
            g.graph.node.remove(node)
    for out, shape in zip(g.graph.output, (o0.shape, o1.shape)):
        for i, d in enumerate(out.type.tensor_type.shape.dim):
            d.Clear()
            if i == 0:
                d.dim_param = "batch"
            else:
                d.dim_value = int(shape[i])
    onnx.checker.check_model(g)
    onnx.save(g, path)
    cmd = "/usr/bin/python3 tools/train_segmenter.py " + " ".join(sys.argv[1:])
    yc.add_onnx_metadata(
        path, sd.CLASSES, (IMGSZ, IMGSZ),
        description="percept shapes instance segmenter: frozen shapes_yolov8 detector + "
                    "YOLOv8 Segment mask branch (%d nm), %d steps x %d images (%.1f min CPU)"
                    % (NM, steps, args.batch, minutes),
        extra={"task": "segment", "seed": args.seed, "data_seed": args.data_seed,
               "training_script": "tools/train_segmenter.py", "training_command": cmd,
               "training_steps": steps, "training_minutes": "%.1f" % minutes})
    print("exported %s (%d bytes), output0 %s output1 %s" % (
        path, os.path.getsize(path), list(o0.shape), list(o1.shape)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detector", default="models/shapes_yolov8.onnx")
    ap.add_argument("--out", default="models/shapes_yolov8_seg.onnx")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--pool", type=int, default=2000)
    ap.add_argument("--pos-per-image", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.data_seed == 12345:
        ap.error("12345 is the validation seed")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    pool = render_pool(args.data_seed, args.pool, args.workers)
    det = load_frozen_detector(args.detector)
    model = Segmenter(det, SegHead())
    yc.init_weights_like_ultralytics(model.seg)
    opt = torch.optim.AdamW(model.seg.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=max(0.05, 2.0 / args.steps))
    feats, boxes = precompute(model, pool)
    targets = [(torch.from_numpy(p[1]), torch.from_numpy(p[2]), torch.from_numpy(p[3]).float())
               for p in pool]
    t0 = time.time()
    model.seg.train()
    run = 0.0
    for step in range(args.steps):
        idxs = torch.from_numpy(rng.integers(0, len(pool), args.batch))
        f = [fk[idxs].float() for fk in feats]
        tg = [targets[i] for i in idxs.tolist()]
        out, protos = model.head_forward(f, boxes[idxs].float())
        loss = mask_loss(out, protos, tg, 0, args.pos_per_image, gen)  # out: 4 box rows + coefficients
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
    minutes = (time.time() - t0) / 60
    export(model, args.out, args, args.steps, minutes)


if __name__ == "__main__":
    main()
