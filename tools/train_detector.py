#!/usr/bin/python3
"""Train the small YOLOv8-style "shapes" detector on CPU and export it to ONNX.

Model: YOLOv8 topology (Conv-BN-SiLU, C2f, SPPF, PAN neck, decoupled
anchor-free Detect head with DFL reg_max 16, strides 8/16/32) scaled down to
~1.2 M parameters, 5 classes (circle, square, triangle, star, cross), input
320x320.  Training follows the Ultralytics YOLOv8 recipe: TaskAlignedAssigner
(topk 10, alpha 0.5, beta 6), BCE classification with task-aligned soft
targets, CIoU + DFL box losses (gains 7.5 / 0.5 / 1.5), AdamW, warmup + cosine
LR, model EMA.  Data: a pool of images rendered by tools/shapes_dataset.py
(training seed, never the validation seed 12345), letterboxed exactly like
Ultralytics LetterBox, augmented with random flips/transposes and HSV jitter.

Run (the committed model was produced with exactly this command: 17.5 min of
training + 2 min rendering the pool on the 2-core dev box, which a C++ build
was also using; see models/README.md):
    /usr/bin/python3 tools/train_detector.py --steps 3000 --minutes 0 --seed 0 \
        --data-seed 1000 --out models/shapes_yolov8.onnx --ckpt /tmp/t/det.pt

Without --minutes the run is deterministic (same weights bit for bit on the
same torch build and thread count).  Flags: --steps N (schedule length,
default 3000), --minutes M (wall-clock budget: the step time is measured
over the first 40 steps and the schedule is fixed to the number of steps that
fits, printed as "plan: ..."; rerunning with --steps <planned> --minutes 0
reproduces such a run unless it printed "re-plan", which happens when the
machine slows down a lot mid-run), --pool N (pre-rendered training images,
default 8000), --seed S, --data-seed S, --ckpt PATH (torch checkpoint, also
accepted by tools/eval_detector.py), --from-ckpt PATH (just re-export),
--eval-dir DIR (evaluate mAP@0.5 on a dataset dir after export).

Output ONNX: input "images" [batch,3,320,320] float32 RGB/255 (letterboxed,
pad 114), output "output0" [batch, 9, 2100] = cx, cy, w, h (input pixels),
5 class probabilities (sigmoid); anchors stride 8 (40x40) then 16 then 32.
"""

import argparse
import math
import multiprocessing as mp
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_dataset as sd  # noqa: E402
import yolo_common as yc  # noqa: E402

IMGSZ = 320
STRIDES = (8, 16, 32)
# the shapes model: YOLOv8 topology, narrower P4/P5 and a slimmer head
MODEL_CFG = dict(widths=(16, 32, 64, 96, 128), depths=(1, 2, 2, 1), neck_depth=1,
                 reg_max=16, head_c2=32, head_c3=32)


def build_model(nc=sd.NUM_CLASSES):
    m = yc.YOLOv8(nc, **MODEL_CFG)
    yc.init_weights_like_ultralytics(m)
    m.head.bias_init(IMGSZ)
    m.names = {i: n for i, n in enumerate(sd.CLASSES)}
    return m


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def _render_one(args):
    seed, idx, edge_cut, max_occlusion = args
    img, objs = sd.render_image(sd.image_rng(seed, idx), edge_cut=edge_cut,
                                max_occlusion=max_occlusion)
    lb, r, pad = yc.letterbox(img, (IMGSZ, IMGSZ))
    if objs:
        boxes = yc.boxes_to_letterbox([o["box"] for o in objs], r, pad).astype(np.float32)
        cls = np.array([o["class_id"] for o in objs], np.float32)
        keep = ((boxes[:, 2] - boxes[:, 0]) > 1) & ((boxes[:, 3] - boxes[:, 1]) > 1)
        lab = np.concatenate([cls[keep, None], boxes[keep]], 1)
    else:
        lab = np.zeros((0, 5), np.float32)
    return lb, lab


def render_pool(seed, n, workers=2, edge_cut=0.0, max_occlusion=sd.MAX_OCCLUSION):
    t0 = time.time()
    imgs = np.empty((n, IMGSZ, IMGSZ, 3), np.uint8)
    labels = [None] * n
    jobs = [(seed, i, edge_cut, max_occlusion) for i in range(n)]
    if workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            for i, (im, lab) in enumerate(pool.imap(_render_one, jobs, chunksize=32)):
                imgs[i], labels[i] = im, lab
    else:
        for i, j in enumerate(jobs):
            imgs[i], labels[i] = _render_one(j)
    print("rendered training pool: %d images (seed %d) in %.1fs" % (n, seed, time.time() - t0),
          flush=True)
    return imgs, labels


def augment_hsv(img, rng, hgain=0.015, sgain=0.7, vgain=0.4):
    """Ultralytics RandomHSV (in place, BGR uint8)."""
    r = rng.uniform(-1, 1, 3) * [hgain, sgain, vgain] + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))
    x = np.arange(0, 256, dtype=r.dtype)
    lut_hue = ((x * r[0]) % 180).astype(np.uint8)
    lut_sat = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_val = np.clip(x * r[2], 0, 255).astype(np.uint8)
    im_hsv = cv2.merge((cv2.LUT(hue, lut_hue), cv2.LUT(sat, lut_sat), cv2.LUT(val, lut_val)))
    cv2.cvtColor(im_hsv, cv2.COLOR_HSV2BGR, dst=img)
    return img


def make_batch(imgs, labels, idxs, rng):
    """Letterboxed pool images -> (float tensor B,3,S,S RGB/255, targets [M,6] (b,cls,xyxy))."""
    S = IMGSZ
    out = np.empty((len(idxs), S, S, 3), np.uint8)
    tg = []
    for bi, k in enumerate(idxs):
        im = imgs[k].copy()
        lab = labels[k].copy()
        b = lab[:, 1:5]
        if rng.random() < 0.5:  # horizontal flip
            im = im[:, ::-1]
            b[:, [0, 2]] = S - b[:, [2, 0]]
        if rng.random() < 0.5:  # vertical flip
            im = im[::-1]
            b[:, [1, 3]] = S - b[:, [3, 1]]
        if rng.random() < 0.5:  # transpose (with flips: all 8 dihedral variants)
            im = im.transpose(1, 0, 2)
            b[:] = b[:, [1, 0, 3, 2]]
        im = np.ascontiguousarray(im)
        augment_hsv(im, rng)
        out[bi] = im
        if len(lab):
            tg.append(np.concatenate([np.full((len(lab), 1), bi, np.float32), lab[:, :1], b], 1))
    x = torch.from_numpy(out[..., ::-1].transpose(0, 3, 1, 2).copy()).float().div_(255.0)
    t = torch.from_numpy(np.concatenate(tg, 0)) if tg else torch.zeros((0, 6))
    return x, t


# --------------------------------------------------------------------------
# Loss: Ultralytics v8DetectionLoss with TaskAlignedAssigner
# --------------------------------------------------------------------------

def bbox_iou(box1, box2, eps=1e-7, ciou=True):
    """IoU / CIoU of xyxy boxes (broadcasting, last dim 4) -> [..., 1]."""
    b1_x1, b1_y1, b1_x2, b1_y2 = box1.chunk(4, -1)
    b2_x1, b2_y1, b2_x2, b2_y2 = box2.chunk(4, -1)
    w1, h1 = b1_x2 - b1_x1, b1_y2 - b1_y1 + eps
    w2, h2 = b2_x2 - b2_x1, b2_y2 - b2_y1 + eps
    inter = (b1_x2.minimum(b2_x2) - b1_x1.maximum(b2_x1)).clamp_(0) * \
            (b1_y2.minimum(b2_y2) - b1_y1.maximum(b2_y1)).clamp_(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    if not ciou:
        return iou
    cw = b1_x2.maximum(b2_x2) - b1_x1.minimum(b2_x1)
    ch = b1_y2.maximum(b2_y2) - b1_y1.minimum(b2_y1)
    c2 = cw.pow(2) + ch.pow(2) + eps
    rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2).pow(2) + (b2_y1 + b2_y2 - b1_y1 - b1_y2).pow(2)) / 4
    v = (4 / math.pi ** 2) * ((w2 / h2).atan() - (w1 / h1).atan()).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class TaskAlignedAssigner(nn.Module):
    def __init__(self, topk=10, num_classes=5, alpha=0.5, beta=6.0, eps=1e-9):
        super().__init__()
        self.topk, self.nc, self.alpha, self.beta, self.eps = topk, num_classes, alpha, beta, eps

    @torch.no_grad()
    def forward(self, pd_scores, pd_bboxes, anc_points, gt_labels, gt_bboxes, mask_gt):
        bs, n_max = pd_scores.shape[0], gt_bboxes.shape[1]
        na = pd_scores.shape[1]
        if n_max == 0:
            return (torch.zeros(bs, na, dtype=torch.long), torch.zeros_like(pd_bboxes),
                    torch.zeros_like(pd_scores), torch.zeros(bs, na, dtype=torch.bool))
        # candidates: anchor centres strictly inside the gt box
        lt, rb = gt_bboxes.view(-1, 1, 4).chunk(2, 2)
        deltas = torch.cat((anc_points[None] - lt, rb - anc_points[None]), 2).view(bs, n_max, na, 4)
        mask_in_gts = deltas.amin(3).gt_(self.eps)
        mask = (mask_in_gts * mask_gt).bool()
        # alignment metric
        overlaps = torch.zeros(bs, n_max, na, dtype=pd_bboxes.dtype)
        bbox_scores = torch.zeros(bs, n_max, na, dtype=pd_scores.dtype)
        ind0 = torch.arange(bs).view(-1, 1).expand(-1, n_max)
        ind1 = gt_labels.squeeze(-1).long()
        bbox_scores[mask] = pd_scores[ind0, :, ind1][mask]
        pd_b = pd_bboxes.unsqueeze(1).expand(-1, n_max, -1, -1)[mask]
        gt_b = gt_bboxes.unsqueeze(2).expand(-1, -1, na, -1)[mask]
        overlaps[mask] = bbox_iou(gt_b, pd_b, ciou=True).squeeze(-1).clamp_(0)
        align_metric = bbox_scores.pow(self.alpha) * overlaps.pow(self.beta)
        # top-k per gt
        topk_idxs = torch.topk(align_metric, self.topk, dim=-1, largest=True)[1]
        topk_mask = mask_gt.expand(-1, -1, self.topk).bool()
        topk_idxs.masked_fill_(~topk_mask, 0)
        count = torch.zeros(align_metric.shape, dtype=torch.int8)
        ones = torch.ones_like(topk_idxs[:, :, :1], dtype=torch.int8)
        for k in range(self.topk):
            count.scatter_add_(-1, topk_idxs[:, :, k:k + 1], ones)
        count.masked_fill_(count > 1, 0)
        mask_pos = count.to(align_metric.dtype) * mask_in_gts * mask_gt
        # an anchor assigned to several gts keeps the one with the highest IoU
        fg_mask = mask_pos.sum(-2)
        if fg_mask.max() > 1:
            multi = (fg_mask.unsqueeze(1) > 1).expand(-1, n_max, -1)
            is_max = torch.zeros_like(mask_pos)
            is_max.scatter_(1, overlaps.argmax(1).unsqueeze(1), 1)
            mask_pos = torch.where(multi, is_max, mask_pos).float()
            fg_mask = mask_pos.sum(-2)
        target_gt_idx = mask_pos.argmax(-2)
        # targets
        flat_idx = target_gt_idx + torch.arange(bs)[:, None] * n_max
        target_labels = gt_labels.long().flatten()[flat_idx].clamp_(0)
        target_bboxes = gt_bboxes.view(-1, 4)[flat_idx]
        target_scores = F.one_hot(target_labels, self.nc).float()
        target_scores = torch.where(fg_mask[:, :, None] > 0, target_scores, torch.zeros_like(target_scores))
        # normalise: soft (IoU-aware) class targets
        align_metric *= mask_pos
        pos_align = align_metric.amax(dim=-1, keepdim=True)
        pos_overlaps = (overlaps * mask_pos).amax(dim=-1, keepdim=True)
        norm_align = (align_metric * pos_overlaps / (pos_align + self.eps)).amax(-2).unsqueeze(-1)
        target_scores = target_scores * norm_align
        return target_labels, target_bboxes, target_scores, fg_mask.bool()


class DetectionLoss:
    def __init__(self, model, box=7.5, cls=0.5, dfl=1.5, topk=10):
        h = model.head
        self.nc, self.reg_max, self.no = h.nc, h.reg_max, h.no
        self.stride = h.stride
        self.gains = (box, cls, dfl)
        self.assigner = TaskAlignedAssigner(topk=topk, num_classes=self.nc, alpha=0.5, beta=6.0)
        self.proj = torch.arange(self.reg_max, dtype=torch.float)
        self._anchors = {}

    def anchors(self, feats):
        key = tuple(tuple(f.shape[2:]) for f in feats)
        if key not in self._anchors:
            self._anchors[key] = yc.make_anchors(list(key), self.stride.tolist(), 0.5)
        return self._anchors[key]

    def bbox_decode(self, anchor_points, pred_dist):
        b, a, c = pred_dist.shape
        d = pred_dist.view(b, a, 4, c // 4).softmax(3).matmul(self.proj)
        lt, rb = d.chunk(2, -1)
        return torch.cat((anchor_points - lt, anchor_points + rb), -1)

    def __call__(self, feats, targets):
        bs = feats[0].shape[0]
        x = torch.cat([f.reshape(bs, self.no, -1) for f in feats], 2)
        pred_distri, pred_scores = x.split((self.reg_max * 4, self.nc), 1)
        pred_scores = pred_scores.permute(0, 2, 1).contiguous()
        pred_distri = pred_distri.permute(0, 2, 1).contiguous()
        anchor_points, stride_tensor = self.anchors(feats)

        # targets [M, 6] (batch_idx, cls, x1, y1, x2, y2) in input pixels -> padded
        counts = torch.bincount(targets[:, 0].long(), minlength=bs) if len(targets) else \
            torch.zeros(bs, dtype=torch.long)
        n_max = int(counts.max()) if len(targets) else 0
        gt = torch.zeros(bs, n_max, 5)
        for i in range(bs):
            sel = targets[targets[:, 0] == i]
            if len(sel):
                gt[i, :len(sel)] = sel[:, 1:]
        gt_labels, gt_bboxes = gt.split((1, 4), 2)
        mask_gt = gt_bboxes.sum(2, keepdim=True).gt_(0.0)

        pred_bboxes = self.bbox_decode(anchor_points, pred_distri)  # stride units, xyxy
        _, target_bboxes, target_scores, fg_mask = self.assigner(
            pred_scores.detach().sigmoid(), (pred_bboxes.detach() * stride_tensor).type(gt_bboxes.dtype),
            anchor_points * stride_tensor, gt_labels, gt_bboxes, mask_gt)
        tss = max(target_scores.sum(), 1.0)
        loss_cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores, reduction="sum") / tss
        loss_box = torch.zeros(())
        loss_dfl = torch.zeros(())
        if fg_mask.sum():
            target_bboxes = target_bboxes / stride_tensor
            weight = target_scores.sum(-1)[fg_mask].unsqueeze(-1)
            iou = bbox_iou(pred_bboxes[fg_mask], target_bboxes[fg_mask], ciou=True)
            loss_box = ((1.0 - iou) * weight).sum() / tss
            lt, rb = target_bboxes.chunk(2, -1)
            target_ltrb = torch.cat((anchor_points - lt, rb - anchor_points), -1).clamp_(0, self.reg_max - 1 - 0.01)
            pd = pred_distri[fg_mask].view(-1, self.reg_max)
            tgt = target_ltrb[fg_mask]
            tl = tgt.long()
            tr = tl + 1
            wl = tr - tgt
            wr = 1 - wl
            dfl = (F.cross_entropy(pd, tl.view(-1), reduction="none").view(tl.shape) * wl +
                   F.cross_entropy(pd, tr.view(-1), reduction="none").view(tl.shape) * wr).mean(-1, keepdim=True)
            loss_dfl = (dfl * weight).sum() / tss
        g = self.gains
        parts = torch.stack([loss_box * g[0], loss_cls * g[1], loss_dfl * g[2]])
        return parts.sum(), parts.detach()


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

class ModelEMA:
    """Exponential moving average of weights (Ultralytics ModelEMA, shorter tau)."""

    def __init__(self, model, decay=0.9995, tau=500):
        import copy
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.updates, self.decay, self.tau = 0, decay, tau

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v *= d
                v += (1 - d) * msd[k].detach()


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    t_start = time.time()
    imgs, labels = render_pool(args.data_seed, args.pool, workers=args.workers,
                               edge_cut=args.edge_cut, max_occlusion=args.max_occlusion)
    model = build_model()
    print("model: %d parameters (%s)" % (yc.count_params(model), MODEL_CFG), flush=True)
    model = model.to(memory_format=torch.channels_last)  # ~1.7x faster CPU convs (oneDNN)
    criterion = DetectionLoss(model)
    ema = ModelEMA(model, tau=args.ema_tau)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.999))

    # Schedule length.  Without --minutes it is exactly --steps (bit-reproducible).
    # With --minutes, the step time is measured over the first steps and the plan is
    # fixed to min(--steps, what fits the budget); it is only ever shortened again
    # (and reported) if the machine becomes much slower (another job competing).
    budget = args.minutes * 60.0 if args.minutes > 0 else None
    planned = args.steps
    replanned = False
    warmup = min(args.warmup, max(1, planned // 3))  # short runs: shorter warmup
    calib_at, window = 40, 100
    t_train = time.time()
    t_mark, step_mark = t_train, 0
    step = 0
    running = None
    order = np.array([], np.int64)
    pos = 0
    model.train()
    while step < planned:
        # LR: linear warmup, then cosine from lr to lrf * lr over the planned steps
        if step < warmup:
            lr = args.lr * (step + 1) / warmup
        else:
            prog = min(1.0, (step - warmup) / max(1, planned - warmup))
            lr = args.lr * (args.lrf + (1 - args.lrf) * 0.5 * (1 + math.cos(math.pi * prog)))
        for gp in opt.param_groups:
            gp["lr"] = lr
        if pos + args.batch > len(order):
            order = rng.permutation(len(imgs))
            pos = 0
        idxs = order[pos:pos + args.batch]
        pos += args.batch
        x, t = make_batch(imgs, labels, idxs, rng)
        feats = model(x.contiguous(memory_format=torch.channels_last))
        loss, parts = criterion(feats, t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        running = parts if running is None else 0.95 * running + 0.05 * parts
        now = time.time()
        elapsed = now - t_train
        if budget and step == 5:
            t_mark, step_mark = now, 5
        if budget and step == calib_at:
            per_step = (now - t_mark) / (step - step_mark)
            fit = step + int((budget - elapsed) / per_step)
            planned = max(step + 1, min(args.steps, fit))
            warmup = min(warmup, max(step, planned // 3))
            print("plan: %.2fs/step -> %d steps fit in %.1f min; schedule = %d steps "
                  "(reproduce exactly with --steps %d --minutes 0)"
                  % (per_step, fit, args.minutes, planned, planned), flush=True)
            t_mark, step_mark = now, step
        elif budget and step > calib_at and step - step_mark >= window:
            # re-check against the budget with the average pace since the start
            # (robust to short bursts of load); re-plan only on a >10% miss
            per_step = elapsed / step
            projected = elapsed + (planned - step) * per_step
            if projected > budget * 1.10 or (projected < budget * 0.90 and planned < args.steps):
                new_plan = max(step + 1, warmup + 1,
                               min(args.steps, step + int((budget - elapsed) / per_step)))
                if abs(new_plan - planned) > 0.05 * planned:
                    print("re-plan: pace %.2fs/step, schedule %d -> %d steps (run no longer "
                          "reproducible by --steps)" % (per_step, planned, new_plan), flush=True)
                    planned, replanned = new_plan, True
            t_mark, step_mark = now, step
        if step % args.log_every == 0 or step == planned:
            print("step %5d/%d  lr %.5f  loss box %.3f cls %.3f dfl %.3f  %.2fs/step  %.1f min"
                  % (step, planned, lr, running[0], running[1], running[2], elapsed / step, elapsed / 60),
                  flush=True)
    train_min = (time.time() - t_train) / 60
    print("training done: %d steps (%d images seen), %.1f min training, %.1f min total"
          % (step, step * args.batch, train_min, (time.time() - t_start) / 60), flush=True)
    return ema.ema.to(memory_format=torch.contiguous_format), step, train_min, replanned


def export(model, path, args, steps, train_min, replanned=False, cmd=None):
    import copy
    m = yc.fuse_conv_bn(copy.deepcopy(model).to(memory_format=torch.contiguous_format).eval())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    out_shape = yc.export_onnx(m, path, (IMGSZ, IMGSZ), dynamic_batch=True, opset=args.opset)
    cmd = cmd or "/usr/bin/python3 tools/train_detector.py " + " ".join(sys.argv[1:])
    extra = {"seed": args.seed, "data_seed": args.data_seed,
             "training_script": "tools/train_detector.py", "training_command": cmd,
             "training_steps": steps, "training_minutes": "%.1f" % train_min}
    if not replanned:
        extra["reproduce_command"] = ("/usr/bin/python3 tools/train_detector.py --steps %d --minutes 0 "
                                      "--seed %d --data-seed %d --pool %d --batch %d --lr %g --edge-cut %g --max-occlusion %g"
                                      % (steps, args.seed, args.data_seed, args.pool, args.batch, args.lr,
                                         args.edge_cut, args.max_occlusion))
    meta = yc.add_onnx_metadata(
        path, sd.CLASSES, (IMGSZ, IMGSZ),
        description="percept shapes detector: YOLOv8-style, %d params, trained %d steps x %d images "
                    "(%.1f min on CPU)" % (yc.count_params(model), steps, args.batch, train_min),
        extra=extra)
    print("exported %s (%d bytes), output0 %s, metadata: %s"
          % (path, os.path.getsize(path), ["batch"] + list(out_shape[1:]),
             {k: meta[k] for k in ("task", "imgsz", "names")}), flush=True)


def main():
    ap = argparse.ArgumentParser(description="Train the shapes YOLOv8-style detector (CPU) and export ONNX.")
    ap.add_argument("--out", default="models/shapes_yolov8.onnx")
    ap.add_argument("--ckpt", default="", help="also save the (EMA) torch state_dict here")
    ap.add_argument("--steps", type=int, default=3000, help="schedule length (upper bound with --minutes)")
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="wall-clock training budget: the schedule is planned to fit it (0 = none)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lrf", type=float, default=0.02)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema-tau", type=float, default=300)
    ap.add_argument("--pool", type=int, default=8000, help="pre-rendered training images")
    ap.add_argument("--seed", type=int, default=0, help="torch / sampling seed")
    ap.add_argument("--data-seed", type=int, default=1000, help="shapes_dataset seed of the training pool")
    ap.add_argument("--edge-cut", type=float, default=0.0,
                    help="shapes_dataset edge_cut: 3 in 10 shapes lie up to this fraction of "
                         "their width outside the frame (as in a video where shapes come and go)")
    ap.add_argument("--max-occlusion", type=float, default=sd.MAX_OCCLUSION,
                    help="largest fraction of a shape that later ones may hide")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="processes rendering the pool")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-dir", default="", help="dataset dir to evaluate the exported model on")
    ap.add_argument("--from-ckpt", default="", help="skip training: export this checkpoint")
    args = ap.parse_args()
    if args.data_seed == 12345:
        ap.error("12345 is the validation seed")

    if args.from_ckpt:  # re-export an existing checkpoint, no training
        ck = torch.load(args.from_ckpt, map_location="cpu")
        model = build_model()
        model.load_state_dict(ck["state_dict"])
        steps, train_min, replanned = ck["steps"], ck.get("train_min", 0.0), ck.get("replanned", True)
        for k in ("seed", "data_seed", "pool", "batch", "lr"):
            setattr(args, k, ck["args"][k])
        a = ck["args"]
        cmd = ck.get("command") or (
            "/usr/bin/python3 tools/train_detector.py --steps %d --minutes %g --pool %d --seed %d "
            "--data-seed %d --batch %d --lr %g" % (a["steps"], a["minutes"], a["pool"], a["seed"],
                                                   a["data_seed"], a["batch"], a["lr"]))
    else:
        model, steps, train_min, replanned = train(args)
        cmd = None
        if args.ckpt:
            torch.save({"model_cfg": MODEL_CFG, "nc": sd.NUM_CLASSES, "names": sd.CLASSES,
                        "state_dict": model.state_dict(), "steps": steps, "train_min": train_min,
                        "replanned": replanned, "args": vars(args),
                        "command": "/usr/bin/python3 tools/train_detector.py " + " ".join(sys.argv[1:])},
                       args.ckpt)
            print("saved checkpoint", args.ckpt)
    export(model, args.out, args, steps, train_min, replanned, cmd)
    if args.eval_dir:
        import eval_detector
        eval_detector.main(["--data", args.eval_dir, "--model", args.out])


if __name__ == "__main__":
    main()
