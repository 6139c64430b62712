#!/usr/bin/python3
"""Shared helpers for the percept model tools (not a CLI).

- YOLOv8 building blocks (Conv-BN-SiLU, Bottleneck, C2f, SPPF) in PyTorch,
  written to match Ultralytics' modules (same layer order and defaults);
- Ultralytics-exact LetterBox preprocessing (numpy/cv2) and the inverse box
  mapping;
- YOLOv8 output decoding + class-aware NMS in numpy;
- Ultralytics-style ONNX metadata_props writer.

Used by tools/train_detector.py, tools/eval_detector.py and
tools/export_yolov8n.py.  Run any of those with /usr/bin/python3.
"""

import datetime
import math

import cv2
import numpy as np

try:  # the numpy parts work without torch (e.g. eval with cv2.dnn)
    import torch
    import torch.nn as nn
except ImportError:  # pragma: no cover
    torch = None
    nn = None


# --------------------------------------------------------------------------
# Preprocessing: Ultralytics LetterBox (auto=False, scaleup=True, center=True)
# --------------------------------------------------------------------------

def letterbox(img_bgr, new_shape=(320, 320), color=(114, 114, 114)):
    """Resize + pad exactly like ultralytics.data.augment.LetterBox.

    Returns (padded BGR image, r, (left, top)).  A point (x, y) of the
    original image maps to (x * r + left, y * r + top) in the letterboxed one.
    """
    h, w = img_bgr.shape[:2]
    nh_, nw_ = new_shape
    r = min(nh_ / h, nw_ / w)
    new_unpad = (int(round(w * r)), int(round(h * r)))
    dw, dh = (nw_ - new_unpad[0]) / 2, (nh_ - new_unpad[1]) / 2
    if (w, h) != new_unpad:
        img_bgr = cv2.resize(img_bgr, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img_bgr = cv2.copyMakeBorder(img_bgr, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                 value=color)
    return img_bgr, r, (left, top)


def to_input_tensor(img_bgr_letterboxed):
    """BGR uint8 HxWx3 -> float32 1x3xHxW RGB / 255 (numpy)."""
    x = img_bgr_letterboxed[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0
    return np.ascontiguousarray(x[None])


def boxes_to_letterbox(boxes_xyxy, r, pad):
    b = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4) * r
    b[:, [0, 2]] += pad[0]
    b[:, [1, 3]] += pad[1]
    return b


def boxes_from_letterbox(boxes_xyxy, r, pad, width, height):
    b = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4).copy()
    b[:, [0, 2]] -= pad[0]
    b[:, [1, 3]] -= pad[1]
    b /= r
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, width)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, height)
    return b


# --------------------------------------------------------------------------
# Postprocessing: YOLOv8 output [4+nc, N] -> detections
# --------------------------------------------------------------------------

def nms_numpy(boxes, scores, iou_thres):
    """Greedy NMS, boxes Nx4 xyxy. Returns kept indices (score-descending)."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        if order.size == 1:
            break
        rest = order[1:]
        iw = (np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest])).clip(0)
        ih = (np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])).clip(0)
        inter = iw * ih
        iou = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[iou <= iou_thres]
    return np.array(keep, np.int64)


def postprocess(output, conf_thres=0.25, iou_thres=0.5, max_det=300, multi_label=False):
    """YOLOv8 head output for one image, shape [4+nc, N] (cx,cy,w,h,probs...).

    Returns (boxes Kx4 xyxy in input pixels, scores K, class ids K), class-aware
    NMS.  multi_label=False takes the best class per anchor (Ultralytics
    predict default); multi_label=True keeps every class above conf_thres
    (Ultralytics val default).
    """
    out = np.asarray(output, np.float32)
    boxes_cxcywh, probs = out[:4].T, out[4:].T
    if multi_label:
        ai, ci = np.nonzero(probs > conf_thres)
        scores = probs[ai, ci]
    else:
        ci = probs.argmax(1)
        scores = probs[np.arange(len(ci)), ci]
        ai = np.nonzero(scores > conf_thres)[0]
        ci, scores = ci[ai], scores[ai]
    b = boxes_cxcywh[ai]
    xyxy = np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
    if len(scores) > 30000:
        top = np.argsort(-scores)[:30000]
        xyxy, scores, ci = xyxy[top], scores[top], ci[top]
    # class-aware NMS via coordinate offset per class (Ultralytics trick)
    off = ci[:, None].astype(np.float32) * 7680.0
    keep = nms_numpy(xyxy + off, scores, iou_thres)[:max_det]
    return xyxy[keep], scores[keep], ci[keep]


# --------------------------------------------------------------------------
# ONNX metadata (Ultralytics style: every value a string)
# --------------------------------------------------------------------------

def names_repr(names):
    """Python dict repr exactly as Ultralytics writes it: {0: 'a', 1: 'b'}."""
    return str({i: n for i, n in enumerate(names)})


def add_onnx_metadata(onnx_path, names, imgsz, extra=None, description="", batch=1, stride=32):
    import onnx
    model = onnx.load(onnx_path)
    meta = {
        "description": description,
        "author": "percept",
        "date": datetime.datetime.now().isoformat(),
        "version": "percept-tools 1.0",
        "task": "detect",
        "stride": str(int(stride)),
        "batch": str(int(batch)),
        "imgsz": str(list(imgsz)),
        "names": names_repr(names),
    }
    meta.update({k: str(v) for k, v in (extra or {}).items()})
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, str(v)
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)
    return meta


# --------------------------------------------------------------------------
# PyTorch building blocks (Ultralytics-compatible)
# --------------------------------------------------------------------------

if nn is not None:

    def autopad(k, p=None, d=1):
        """'same' padding (Ultralytics autopad); k may be an int or a tuple."""
        if d > 1:
            k = d * (k - 1) + 1 if isinstance(k, int) else [d * (x - 1) + 1 for x in k]
        if p is None:
            p = k // 2 if isinstance(k, int) else [x // 2 for x in k]
        return p

    class Conv(nn.Module):
        """Conv2d(bias=False) + BatchNorm2d + SiLU."""

        def __init__(self, c1, c2, k=1, s=1, p=None, g=1, d=1, act=True):
            super().__init__()
            self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
            self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
            self.act = nn.SiLU() if act is True else (act if isinstance(act, nn.Module) else nn.Identity())

        def forward(self, x):
            return self.act(self.bn(self.conv(x)))

        def forward_fuse(self, x):
            return self.act(self.conv(x))

    class Bottleneck(nn.Module):
        def __init__(self, c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5):
            super().__init__()
            c_ = int(c2 * e)
            self.cv1 = Conv(c1, c_, k[0], 1)
            self.cv2 = Conv(c_, c2, k[1], 1, g=g)
            self.add = shortcut and c1 == c2

        def forward(self, x):
            return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))

    class C2f(nn.Module):
        """CSP bottleneck with 2 convolutions (YOLOv8)."""

        def __init__(self, c1, c2, n=1, shortcut=False, g=1, e=0.5):
            super().__init__()
            self.c = int(c2 * e)
            self.cv1 = Conv(c1, 2 * self.c, 1, 1)
            self.cv2 = Conv((2 + n) * self.c, c2, 1)
            self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, g, k=((3, 3), (3, 3)), e=1.0)
                                   for _ in range(n))

        def forward(self, x):
            y = list(self.cv1(x).split((self.c, self.c), 1))  # static split sizes (ONNX-friendly)
            y.extend(m(y[-1]) for m in self.m)
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, c1, c2, k=5):
            super().__init__()
            c_ = c1 // 2
            self.cv1 = Conv(c1, c_, 1, 1)
            self.cv2 = Conv(c_ * 4, c2, 1, 1)
            self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

        def forward(self, x):
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))

    def fuse_conv_bn(model):
        """Fold every Conv's BatchNorm into its conv (inference only)."""
        for m in model.modules():
            if isinstance(m, Conv) and hasattr(m, "bn"):
                conv, bn = m.conv, m.bn
                w = conv.weight
                std = torch.sqrt(bn.running_var + bn.eps)
                fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                                  conv.padding, conv.dilation, conv.groups, bias=True)
                fused.weight.data = (w * (bn.weight / std).reshape(-1, 1, 1, 1)).detach().clone()
                b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                fused.bias.data = ((b - bn.running_mean) * bn.weight / std + bn.bias).detach().clone()
                m.conv = fused
                delattr(m, "bn")
                m.forward = m.forward_fuse
        return model

    def make_anchors(shapes, strides, offset=0.5, dtype=None, device=None):
        """Anchor points (grid cell centres, in stride units) + per-anchor stride.

        shapes: list of (h, w); order: level by level, row-major in each level.
        """
        pts, st = [], []
        for (h, w), s in zip(shapes, strides):
            sx = torch.arange(w, dtype=dtype, device=device) + offset
            sy = torch.arange(h, dtype=dtype, device=device) + offset
            yy, xx = torch.meshgrid(sy, sx, indexing="ij")
            pts.append(torch.stack((xx, yy), -1).view(-1, 2))
            st.append(torch.full((h * w, 1), float(s), dtype=dtype, device=device))
        return torch.cat(pts), torch.cat(st)

    def count_params(model):
        return sum(p.numel() for p in model.parameters())


    # ----------------------------------------------------------------------
    # YOLOv8 detection model (Ultralytics yolov8.yaml topology)
    # ----------------------------------------------------------------------

    def make_divisible(x, divisor=8):
        return int(math.ceil(x / divisor) * divisor)

    class DFL(nn.Module):
        """Distribution Focal Loss integral: softmax over reg_max bins, expectation."""

        def __init__(self, c1=16):
            super().__init__()
            self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
            self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
            self.c1 = c1

        def forward(self, x):
            a = int(x.shape[-1])  # python int: static reshape constants in the ONNX graph
            return self.conv(x.view(-1, 4, self.c1, a).transpose(2, 1).softmax(1)).view(-1, 4, a)

    class Detect(nn.Module):
        """YOLOv8 decoupled head (anchor-free, DFL box regression).

        training / raw mode: returns the list of per-level maps [B, 4*reg_max+nc, H, W];
        export mode (self.export=True): returns [B, 4+nc, N] = (cx, cy, w, h) in input
        pixels and sigmoid class probabilities, anchors level by level (stride 8
        first), row-major inside a level -- exactly Ultralytics' output0.
        """

        def __init__(self, nc, ch, strides, reg_max=16, c2=None, c3=None):
            super().__init__()
            self.nc, self.nl, self.reg_max = nc, len(ch), reg_max
            self.no = nc + reg_max * 4
            self.register_buffer("stride", torch.tensor(strides, dtype=torch.float32), persistent=False)
            c2 = c2 or max((16, ch[0] // 4, reg_max * 4))
            c3 = c3 or max(ch[0], min(nc, 100))
            self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3),
                                                   nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
            self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3),
                                                   nn.Conv2d(c3, nc, 1)) for x in ch)
            self.dfl = DFL(reg_max) if reg_max > 1 else nn.Identity()
            self.export = False
            self._anchor_cache = {}

        def bias_init(self, imgsz=640):
            """Ultralytics Detect.bias_init (requires stride)."""
            for a, b, s in zip(self.cv2, self.cv3, self.stride.tolist()):
                a[-1].bias.data[:] = 1.0
                b[-1].bias.data[: self.nc] = math.log(5 / self.nc / (imgsz / s) ** 2)

        def forward(self, x):
            x = [torch.cat((self.cv2[i](x[i]), self.cv3[i](x[i])), 1) for i in range(self.nl)]
            if not self.export:
                return x
            # static shapes (python ints) -> anchors are plain constants in the graph
            shapes = tuple((int(xi.shape[2]), int(xi.shape[3])) for xi in x)
            if shapes not in self._anchor_cache:
                with torch.no_grad():
                    a, s = make_anchors(shapes, self.stride.tolist(), 0.5, torch.float32)
                # [1, 2, N] anchors and [1, 4, N] strides: full-shape constants, so the
                # graph needs no broadcasting beyond the batch dim (old importers)
                self._anchor_cache[shapes] = (a.transpose(0, 1).unsqueeze(0).contiguous(),
                                              s.transpose(0, 1).unsqueeze(0).expand(1, 4, -1).contiguous())
            anchors, strides = self._anchor_cache[shapes]
            x_cat = torch.cat([xi.reshape(-1, self.no, h * w) for xi, (h, w) in zip(x, shapes)], 2)
            # slices rather than an unequal Split: friendlier to older ONNX importers
            box, cls = x_cat[:, :self.reg_max * 4], x_cat[:, self.reg_max * 4:]
            dist = self.dfl(box)
            lt, rb = dist[:, :2], dist[:, 2:]
            x1y1, x2y2 = anchors - lt, anchors + rb
            dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
            return torch.cat((dbox, cls.sigmoid()), 1)

    class YOLOv8(nn.Module):
        """YOLOv8 detection model following ultralytics/cfg/models/v8/yolov8.yaml.

        widths: channels of (P1, P2, P3, P4, P5) stages (already width-scaled);
        depths: C2f repeats in the backbone stages P2..P5; neck_depth: C2f
        repeats in the PAN neck.  YOLOv8n = widths (16, 32, 64, 128, 256),
        depths (1, 2, 2, 1), neck_depth 1.
        """

        def __init__(self, nc=80, widths=(16, 32, 64, 128, 256), depths=(1, 2, 2, 1), neck_depth=1,
                     reg_max=16, head_c2=None, head_c3=None):
            super().__init__()
            c1, c2, c3, c4, c5 = widths
            n2, n3, n4, n5 = depths
            up = nn.Upsample(scale_factor=2.0, mode="nearest")
            self.model = nn.ModuleList([
                Conv(3, c1, 3, 2),                  # 0 P1/2
                Conv(c1, c2, 3, 2),                 # 1 P2/4
                C2f(c2, c2, n2, True),              # 2
                Conv(c2, c3, 3, 2),                 # 3 P3/8
                C2f(c3, c3, n3, True),              # 4
                Conv(c3, c4, 3, 2),                 # 5 P4/16
                C2f(c4, c4, n4, True),              # 6
                Conv(c4, c5, 3, 2),                 # 7 P5/32
                C2f(c5, c5, n5, True),              # 8
                SPPF(c5, c5, 5),                    # 9
                up,                                 # 10
                nn.Identity(),                      # 11 concat [10, 6]
                C2f(c5 + c4, c4, neck_depth),       # 12
                up,                                 # 13
                nn.Identity(),                      # 14 concat [13, 4]
                C2f(c4 + c3, c3, neck_depth),       # 15 (P3/8 out)
                Conv(c3, c3, 3, 2),                 # 16
                nn.Identity(),                      # 17 concat [16, 12]
                C2f(c3 + c4, c4, neck_depth),       # 18 (P4/16 out)
                Conv(c4, c4, 3, 2),                 # 19
                nn.Identity(),                      # 20 concat [19, 9]
                C2f(c4 + c5, c5, neck_depth),       # 21 (P5/32 out)
                Detect(nc, (c3, c4, c5), (8.0, 16.0, 32.0), reg_max, head_c2, head_c3),  # 22
            ])
            self.nc = nc
            self.names = {i: str(i) for i in range(nc)}

        @property
        def head(self):
            return self.model[-1]

        def forward(self, x):
            m = self.model
            x = m[1](m[0](x))
            x = m[2](x)
            p3 = m[4](m[3](x))
            p4 = m[6](m[5](p3))
            p5 = m[9](m[8](m[7](p4)))
            h12 = m[12](torch.cat((m[10](p5), p4), 1))
            o3 = m[15](torch.cat((m[13](h12), p3), 1))
            o4 = m[18](torch.cat((m[16](o3), h12), 1))
            o5 = m[21](torch.cat((m[19](o4), p5), 1))
            return m[22]([o3, o4, o5])

    def init_weights_like_ultralytics(model):
        """Ultralytics initialize_weights: BN eps 1e-3 / momentum 0.03, SiLU inplace."""
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps, m.momentum = 1e-3, 0.03
            elif isinstance(m, (nn.SiLU, nn.ReLU, nn.LeakyReLU)):
                m.inplace = True

    def export_onnx(model, path, imgsz, dynamic_batch=True, opset=17):
        """torch.onnx.export with Ultralytics names: images -> output0. Returns output shape."""
        import warnings
        import onnx
        model.eval()
        model.head.export = True
        dummy = torch.zeros(1, 3, imgsz[0], imgsz[1])
        dyn = {"images": {0: "batch"}, "output0": {0: "batch"}} if dynamic_batch else None
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings about int(shape): intended
            out_shape = tuple(model(dummy).shape)  # also fills the anchor cache outside the trace
            torch.onnx.export(model, dummy, path, opset_version=opset, do_constant_folding=True,
                              input_names=["images"], output_names=["output0"], dynamic_axes=dyn)
        model.head.export = False
        m = onnx.load(path)
        # torch dedups identical initializers into Identity nodes (e.g. the Detect box
        # biases right after bias_init); materialise them, some importers reject those
        inits = {t.name: t for t in m.graph.initializer}
        for node in list(m.graph.node):
            if node.op_type == "Identity" and node.input[0] in inits:
                t = onnx.TensorProto()
                t.CopyFrom(inits[node.input[0]])
                t.name = node.output[0]
                m.graph.initializer.append(t)
                m.graph.node.remove(node)
        # pin the static output dims (tracing leaves them symbolic): [batch|1, 4+nc, N]
        for i, d in enumerate(m.graph.output[0].type.tensor_type.shape.dim):
            d.Clear()
            if i == 0 and dynamic_batch:
                d.dim_param = "batch"
            else:
                d.dim_value = out_shape[i]
        onnx.checker.check_model(m)
        onnx.save(m, path)
        return out_shape
