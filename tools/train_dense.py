#!/usr/bin/python3
"""Train the small depth + segmentation network on tools/scene3d.py scenes, export two ONNX models.

One small U-Net (shared encoder/decoder, two 1x1 heads) is trained jointly
for metric depth (L1 on log depth) and 4-class segmentation (cross entropy);
it is exported twice: models/scene_depth.onnx (output "depth", metres,
exp of the depth head) and models/scene_seg.onnx (output "logits").  Each ONNX
holds the shared trunk and its own head only.

Data: a pool of scenes rendered by scene3d.render_scene at 320x240 (train seed
--data-seed, default 1; never the validation seed 777), resized exactly like
the runtime does (cv2.resize INTER_LINEAR to 224x168; seg labels
INTER_NEAREST, depth INTER_LINEAR), augmented with horizontal flips (exact:
cx is the image centre) and brightness/contrast/colour gain jitter.

Run (the committed models, see models/README.md; ~25 min on the shared 2-core box):
    /usr/bin/python3 tools/train_dense.py --steps 2000 --pool 3000 --seed 0 --data-seed 1 --seg-weight 1.0
(default outputs models/scene_depth.onnx and models/scene_seg.onnx; --out-depth/--out-seg
change them, --ckpt PATH keeps a torch checkpoint, --from-ckpt PATH only re-exports.)

Input: "image" [batch, 3, 168, 224] float32 RGB, (x/255 - mean)/std ImageNet.
"""

import argparse
import math
import multiprocessing as mp
import os
import sys
import time

import cv2
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_dense as ev  # noqa: E402
import scene3d  # noqa: E402

H, W = ev.IN_H, ev.IN_W
NC = scene3d.NUM_CLASSES


def cbr(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DenseNet(nn.Module):
    """U-Net: 168x224 -> 84x112 -> 42x56 -> 21x28 -> 11x14 -> 6x7 and back (bilinear up + concat)."""

    def __init__(self, enc=(8, 16, 32, 64, 80, 112), dec=(80, 64, 32, 16, 8)):
        super().__init__()
        c0, c1, c2, c3, c4, c5 = enc
        self.e0 = cbr(3, c0)                                     # 168x224
        self.e1 = nn.Sequential(cbr(c0, c1, 2), cbr(c1, c1))     # 84x112
        self.e2 = nn.Sequential(cbr(c1, c2, 2), cbr(c2, c2))     # 42x56
        self.e3 = nn.Sequential(cbr(c2, c3, 2), cbr(c3, c3))     # 21x28
        self.e4 = nn.Sequential(cbr(c3, c4, 2), cbr(c4, c4))     # 11x14
        self.e5 = nn.Sequential(cbr(c4, c5, 2), cbr(c5, c5))     # 6x7
        self.d4 = cbr(c5 + c4, dec[0])
        self.d3 = cbr(dec[0] + c3, dec[1])
        self.d2 = cbr(dec[1] + c2, dec[2])
        self.d1 = cbr(dec[2] + c1, dec[3])
        self.d0 = cbr(dec[3] + c0, dec[4])
        self.depth_head = nn.Conv2d(dec[4], 1, 1)
        self.seg_head = nn.Conv2d(dec[4], NC, 1)
        nn.init.constant_(self.depth_head.bias, math.log(3.0))
        self.sizes = [(H, W), (84, 112), (42, 56), (21, 28), (11, 14)]

    @staticmethod
    def up(x, size):
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    def trunk(self, x):
        f0 = self.e0(x)
        f1 = self.e1(f0)
        f2 = self.e2(f1)
        f3 = self.e3(f2)
        f4 = self.e4(f3)
        f5 = self.e5(f4)
        y = self.d4(torch.cat([self.up(f5, self.sizes[4]), f4], 1))
        y = self.d3(torch.cat([self.up(y, self.sizes[3]), f3], 1))
        y = self.d2(torch.cat([self.up(y, self.sizes[2]), f2], 1))
        y = self.d1(torch.cat([self.up(y, self.sizes[1]), f1], 1))
        return self.d0(torch.cat([self.up(y, self.sizes[0]), f0], 1))

    def forward(self, x):
        y = self.trunk(x)
        return self.depth_head(y), self.seg_head(y)   # log depth, logits


class DepthExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return torch.exp(self.net.depth_head(self.net.trunk(image)))


class SegExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net.seg_head(self.net.trunk(image))


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def _render_one(args):
    seed, i = args
    img, depth, seg = scene3d.render_scene(scene3d.image_rng(seed, i))
    return (cv2.resize(img, (W, H), interpolation=cv2.INTER_LINEAR),
            cv2.resize(depth, (W, H), interpolation=cv2.INTER_LINEAR).astype(np.float16),
            cv2.resize(seg, (W, H), interpolation=cv2.INTER_NEAREST))


def render_pool(seed, n, workers=2):
    t0 = time.time()
    imgs = np.empty((n, H, W, 3), np.uint8)
    depths = np.empty((n, H, W), np.float16)
    segs = np.empty((n, H, W), np.uint8)
    with mp.get_context("fork").Pool(workers) as pool:
        for i, (a, b, c) in enumerate(pool.imap(_render_one, [(seed, i) for i in range(n)], chunksize=16)):
            imgs[i], depths[i], segs[i] = a, b, c
    print("rendered pool: %d scenes (seed %d) in %.1fs" % (n, seed, time.time() - t0), flush=True)
    return imgs, depths, segs


def make_batch(pool, idxs, rng):
    imgs, depths, segs = pool
    x = imgs[idxs].astype(np.float32)
    d = depths[idxs].astype(np.float32)
    s = segs[idxs].astype(np.int64)
    for b in range(len(idxs)):
        if rng.random() < 0.5:
            x[b], d[b], s[b] = x[b, :, ::-1], d[b, :, ::-1], s[b, :, ::-1]
        gain = rng.uniform(0.75, 1.25) * rng.uniform(0.9, 1.1, 3)
        mean = x[b].mean((0, 1))
        contrast = rng.uniform(0.8, 1.2)
        x[b] = (x[b] - mean) * contrast + mean
        x[b] = x[b] * gain + rng.uniform(-15, 15)
    x = np.clip(x, 0, 255)[..., ::-1] / 255.0
    x = (x - ev.MEAN) / ev.STD
    return (torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2), np.float32)),
            torch.from_numpy(np.log(d))[:, None], torch.from_numpy(s))


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

def add_metadata(path, props):
    """Set metadata_props; also turn Identity-of-initializer nodes (torch's de-duplicated
    constants) into plain initializers: OpenCV 4.6 DNN cannot import them."""
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: i for i in m.graph.initializer}
    keep = []
    for node in m.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            m.graph.initializer.append(
                numpy_helper.from_array(numpy_helper.to_array(inits[node.input[0]]), node.output[0]))
        else:
            keep.append(node)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, str(v)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(net, kind, path, meta_common):
    mod = (DepthExport if kind == "depth" else SegExport)(net).eval()
    out_name = "depth" if kind == "depth" else "logits"
    torch.onnx.export(mod, torch.zeros(1, 3, H, W), path, opset_version=13,
                      input_names=["image"], output_names=[out_name],
                      dynamic_axes={"image": {0: "batch"}, out_name: {0: "batch"}},
                      do_constant_folding=True)
    props = {"task": "depth" if kind == "depth" else "segment", "imgsz": "[%d, %d]" % (H, W),
             "layout": "nchw", "color": "rgb", "mean": "[0.485, 0.456, 0.406]",
             "std": "[0.229, 0.224, 0.225]", "resize": "stretch"}
    if kind == "depth":
        props["depth_unit"] = "m"
        props["depth_kind"] = "z"
    else:
        props["names"] = str({i: n for i, n in enumerate(scene3d.CLASSES)})
    props.update(meta_common)
    add_metadata(path, props)
    # verify with OpenCV DNN against torch
    net_cv = cv2.dnn.readNetFromONNX(path)
    maxdiff = 0.0
    for i in range(3):
        img, _, _ = scene3d.render_scene(scene3d.image_rng(4242, i))
        x = ev.preprocess_dense(img)[None]
        with torch.no_grad():
            ref = mod(torch.from_numpy(x)).numpy()
        net_cv.setInput(x)
        maxdiff = max(maxdiff, float(np.abs(net_cv.forward() - ref).max()))
    print("exported %s (%d bytes); OpenCV DNN vs torch max abs diff %.2e" %
          (path, os.path.getsize(path), maxdiff), flush=True)
    return maxdiff


def torch_predictor(net, kind):
    mod = (DepthExport if kind == "depth" else SegExport)(net).eval()

    def predict(x):
        with torch.no_grad():
            return mod(torch.from_numpy(x)).numpy()
    return predict


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--pool", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--val-seed", type=int, default=777)
    ap.add_argument("--val-count", type=int, default=50)
    ap.add_argument("--seg-weight", type=float, default=1.0)
    ap.add_argument("--out-depth", default="models/scene_depth.onnx")
    ap.add_argument("--out-seg", default="models/scene_seg.onnx")
    ap.add_argument("--ckpt", default="/tmp/dense_ckpt.pt")
    ap.add_argument("--from-ckpt", help="skip training, export this checkpoint")
    ap.add_argument("--bench", action="store_true", help="time 10 steps and exit")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    net = DenseNet()
    nparams = sum(p.numel() for p in net.parameters())
    print("DenseNet: %d parameters" % nparams, flush=True)
    t_train = 0.0
    if args.from_ckpt:
        ck = torch.load(args.from_ckpt)
        net.load_state_dict(ck["model"])
        t_train = ck.get("train_s", 0.0)
    else:
        pool = render_pool(args.data_seed, 64 if args.bench else args.pool)
        rng = np.random.default_rng([args.seed, 99])
        opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
        warm = 100
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warm) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))
        net.train()
        t0 = time.time()
        n = len(pool[0])
        order = rng.permutation(n)
        pos = 0
        ld = ls = 0.0
        steps = 30 if args.bench else args.steps
        for step in range(steps):
            if pos + args.batch > n:
                order, pos = rng.permutation(n), 0
            idx = np.sort(order[pos:pos + args.batch])
            pos += args.batch
            x, logd, seg = make_batch(pool, idx, rng)
            pd, pl = net(x)
            loss_d = (pd - logd).abs().mean()
            loss_s = F.cross_entropy(pl, seg)
            loss = loss_d + args.seg_weight * loss_s
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            ld, ls = 0.95 * ld + 0.05 * loss_d.item(), 0.95 * ls + 0.05 * loss_s.item()
            if step % 100 == 0 or step == steps - 1 or args.bench and step % 10 == 9:
                el = time.time() - t0
                print("step %d/%d  loss_logdepth %.4f  loss_seg %.4f  lr %.2e  %.1fs (%.3f s/step)"
                      % (step, steps, ld / (1 - 0.95 ** (step + 1)), ls / (1 - 0.95 ** (step + 1)),
                         sched.get_last_lr()[0], el, el / (step + 1)), flush=True)
        t_train = time.time() - t0
        if args.bench:
            return 0
        torch.save({"model": net.state_dict(), "train_s": t_train}, args.ckpt)
    net.eval()
    for kind in ("depth", "segment"):
        r = ev.evaluate_dense(torch_predictor(net, kind), kind,
                              ev.scene_iter(None, args.val_seed, args.val_count))
        print("torch, seed %d x %d: %s" % (args.val_seed, args.val_count, ev.format_metrics(kind, r)),
              flush=True)
    cmd = "/usr/bin/python3 tools/train_dense.py " + " ".join(argv if argv is not None else sys.argv[1:])
    common = {"author": "percept", "params": str(nparams), "seed": str(args.seed),
              "data_seed": str(args.data_seed), "training_script": "tools/train_dense.py",
              "training_command": cmd, "training_steps": str(args.steps),
              "training_minutes": "%.1f" % (t_train / 60)}
    export(net, "depth", args.out_depth, common)
    export(net, "segment", args.out_seg, common)
    for kind, path in (("depth", args.out_depth), ("segment", args.out_seg)):
        r = ev.evaluate_dense(ev.cv2_predictor(path), kind, ev.scene_iter(None, args.val_seed, args.val_count))
        print("OpenCV DNN %s: %s" % (path, ev.format_metrics(kind, r)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
