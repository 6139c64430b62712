#!/usr/bin/python3
"""Train the small shape classifier on tools/classify_dataset.py images, export ONNX.

Model: 4 stages of Conv-BN-ReLU (16, 32, 64, 128 channels, 2 convs each, the
first of stages 2-4 strided), global average pooling, linear -> 5 logits.
Input 64x64 RGB, x/255 (no mean/std).  Trained with AdamW + cosine LR on a pool
rendered from --data-seed (default 1), augmented with the 8 flips/rotations
(the classes are invariant to them) and colour jitter; evaluated on seed 777.

Run (the committed model, see models/README.md):
    /usr/bin/python3 tools/train_classifier.py --steps 1200 --pool 20000 --seed 0 --data-seed 1 --threads 1
(it ran with --out /tmp/cls/shapes_cls.onnx and was copied to models/; the default --out is
models/shapes_cls.onnx)

Output ONNX: input "image" [batch, 3, 64, 64] float32 RGB x/255, output
"logits" [batch, 5] (circle, square, triangle, star, cross).
"""

import argparse
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classify_dataset as cd  # noqa: E402
import eval_dense as ev  # noqa: E402
from train_dense import add_metadata, cbr  # noqa: E402

S = cd.SIZE


class ClsNet(nn.Module):
    def __init__(self, ch=(16, 32, 64, 128), nc=cd.NUM_CLASSES):
        super().__init__()
        layers, cin = [], 3
        for i, c in enumerate(ch):
            layers += [cbr(cin, c, 1 if i == 0 else 2), cbr(c, c)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, nc)

    def forward(self, image):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(image), 1), 1))


def _render_chunk(args):
    seed, start, n = args
    return cd.render_array(seed, n, S, start)


def render_pool(seed, n, workers=2):
    t0 = time.time()
    chunks = [(seed, k, min(500, n - k)) for k in range(0, n, 500)]
    with mp.get_context("fork").Pool(workers) as pool:
        parts = pool.map(_render_chunk, chunks)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    print("rendered pool: %d images (seed %d) in %.1fs" % (n, seed, time.time() - t0), flush=True)
    return x, y


def make_batch(x, y, idx, rng):
    b = x[idx].astype(np.float32)
    for i in range(len(idx)):
        k = int(rng.integers(0, 8))
        im = np.rot90(b[i], k % 4)
        if k >= 4:
            im = im[:, ::-1]
        b[i] = im * rng.uniform(0.8, 1.2, 3) + rng.uniform(-20, 20)
    b = np.clip(b, 0, 255)[..., ::-1] / 255.0
    return torch.from_numpy(np.ascontiguousarray(b.transpose(0, 3, 1, 2), np.float32)), torch.from_numpy(y[idx])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--pool", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--val-seed", type=int, default=777)
    ap.add_argument("--val-count", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="models/shapes_cls.onnx")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net = ClsNet()
    nparams = sum(p.numel() for p in net.parameters())
    print("ClsNet: %d parameters" % nparams, flush=True)
    x, y = render_pool(args.data_seed, args.pool)
    rng = np.random.default_rng([args.seed, 99])
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))
    t0 = time.time()
    order, pos, la = rng.permutation(len(x)), 0, 0.0
    net.train()
    for step in range(args.steps):
        if pos + args.batch > len(x):
            order, pos = rng.permutation(len(x)), 0
        idx = np.sort(order[pos:pos + args.batch])
        pos += args.batch
        xb, yb = make_batch(x, y, idx, rng)
        loss = F.cross_entropy(net(xb), yb, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        la = 0.95 * la + 0.05 * loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            el = time.time() - t0
            print("step %d/%d  loss %.4f  %.1fs (%.3f s/step)" % (step, args.steps, la / (1 - 0.95 ** (step + 1)),
                                                                el, el / (step + 1)), flush=True)
    t_train = time.time() - t0
    net.eval()
    vx, vy = cd.render_array(args.val_seed, args.val_count, S)

    def torch_pred(b):
        with torch.no_grad():
            return net(torch.from_numpy(b)).numpy()
    print("torch, seed %d x %d: %s" % (args.val_seed, args.val_count,
                                       ev.format_metrics("classify", ev.evaluate_classify(torch_pred, vx, vy))))
    torch.onnx.export(net, torch.zeros(1, 3, S, S), args.out, opset_version=13, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    cmd = "/usr/bin/python3 tools/train_classifier.py " + " ".join(argv if argv is not None else sys.argv[1:])
    add_metadata(args.out, {
        "task": "classify", "names": str({i: n for i, n in enumerate(cd.CLASSES)}),
        "imgsz": "[%d, %d]" % (S, S), "layout": "nchw", "color": "rgb", "mean": "[0, 0, 0]",
        "std": "[1, 1, 1]", "resize": "stretch", "author": "percept", "params": str(nparams),
        "seed": str(args.seed), "data_seed": str(args.data_seed), "training_script": "tools/train_classifier.py",
        "training_command": cmd, "training_steps": str(args.steps), "training_minutes": "%.1f" % (t_train / 60)})
    import cv2
    cvnet = cv2.dnn.readNetFromONNX(args.out)
    xb = vx[:8][..., ::-1].astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    xb = np.ascontiguousarray(xb)
    diff = 0.0
    for i in range(8):
        cvnet.setInput(xb[i:i + 1])
        diff = max(diff, float(np.abs(cvnet.forward() - torch_pred(xb[i:i + 1])).max()))
    print("exported %s (%d bytes); OpenCV DNN vs torch max abs diff %.2e" % (args.out, os.path.getsize(args.out), diff))
    r = ev.evaluate_classify(ev.cv2_predictor(args.out), vx, vy)
    print("OpenCV DNN %s: %s" % (args.out, ev.format_metrics("classify", r)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
