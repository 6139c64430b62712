#!/usr/bin/python3
"""The issue's GPU benchmark models, with random weights, and their PyTorch reference timing.

There are no pretrained YOLO or Depth Anything weights on any machine here; for timing the
weights do not matter, the architectures do (docs/GPU.md, ../shared/GPU.md).

  gpu_models.py export --out DIR [--only yolo|depth] [--imgsz 640] [--depth-size 518]
      DIR/yolov8n.onnx   a YOLOv8n-sized detector (Ultralytics' architecture at scale n, 80
                         classes, 3.2 M parameters): images [batch, 3, S, S] -> output0
                         [batch, 84, anchors], decoded as Ultralytics exports it (v8 layout).
      DIR/depth_anything_v2_vits.onnx
                         Depth Anything V2 Small's architecture (DINOv2 ViT-S/14 + DPT head) from
                         transformers' DepthAnythingForDepthEstimation: pixel_values
                         [batch, 3, 518, 518] -> predicted_depth [batch, 518, 518]. Needs
                         transformers (the GPU machine has it; Debian here does not).
  gpu_models.py torch-bench --out DIR [--device cuda] [--batch 1,4] [--iterations 50]
      The same modules in PyTorch on the same GPU (the reference of "percept against PyTorch"):
      CUDA events around each forward, medians after warm-up, float32 and float16. One JSON
      object per (model, precision, batch) on stdout and in DIR/torch_bench.jsonl.

Both set metadata so that percept needs no flags: the detector task, names and imgsz; the depth
model only its task (percept then applies Depth Anything's defaults: relative depth, ImageNet
mean/std), which is all timing needs.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn


# ---- YOLOv8n: Ultralytics' modules at scale n (depth 0.33, width 0.25) -------------------------

class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut):
        super().__init__()
        self.cv1, self.cv2, self.add = Conv(c, c, 3), Conv(c, c, 3), shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c)
        self.cv2 = Conv((2 + n) * self.c, c2)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c = c1 // 2
        self.cv1, self.cv2 = Conv(c1, c), Conv(c * 4, c2)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Detect(nn.Module):
    """Decoupled head with DFL, decoded to [batch, 4 + nc, anchors] (xywh in input pixels, then
    class probabilities), as Ultralytics' ONNX export writes it."""

    def __init__(self, nc, ch, strides=(8, 16, 32), reg_max=16):
        super().__init__()
        self.nc, self.reg_max, self.strides = nc, reg_max, strides
        c2, c3 = max(16, ch[0] // 4, reg_max * 4), max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(
            nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        self.register_buffer("bins", torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1))
        # Ultralytics' bias_init: a random-weight head then scores like an untrained but
        # initialised YOLO (a handful of boxes over the threshold), not every anchor at
        # sigmoid(noise) ~ 0.5, which would time NMS on 8400 candidates.
        for a, b, s in zip(self.cv2, self.cv3, strides):
            a[-1].bias.data[:] = 1.0
            b[-1].bias.data[:] = math.log(5 / nc / (640 / s) ** 2)

    def forward(self, feats):
        boxes, scores, anchors, stride_of = [], [], [], []
        for i, x in enumerate(feats):
            b, _, h, w = x.shape
            box = self.cv2[i](x).view(b, 4, self.reg_max, h * w).softmax(2)
            boxes.append((box * self.bins.view(1, 1, self.reg_max, 1)).sum(2))  # [b, 4, hw]
            scores.append(self.cv3[i](x).view(b, self.nc, h * w))
            sy, sx = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device) + 0.5,
                                    torch.arange(w, dtype=x.dtype, device=x.device) + 0.5,
                                    indexing="ij")
            anchors.append(torch.stack((sx.reshape(-1), sy.reshape(-1))))  # [2, hw]
            stride_of.append(torch.full((1, h * w), float(self.strides[i]), dtype=x.dtype,
                                        device=x.device))
        dist, anchor, stride = torch.cat(boxes, 2), torch.cat(anchors, 1), torch.cat(stride_of, 1)
        lt, rb = dist[:, :2], dist[:, 2:]
        x1y1, x2y2 = anchor - lt, anchor + rb
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * stride
        return torch.cat((xywh, torch.cat(scores, 2).sigmoid()), 1)


class YOLOv8n(nn.Module):
    def __init__(self, nc=80):
        super().__init__()
        self.b0, self.b1 = Conv(3, 16, 3, 2), Conv(16, 32, 3, 2)
        self.b2, self.b3 = C2f(32, 32, 1, True), Conv(32, 64, 3, 2)
        self.b4, self.b5 = C2f(64, 64, 2, True), Conv(64, 128, 3, 2)
        self.b6, self.b7 = C2f(128, 128, 2, True), Conv(128, 256, 3, 2)
        self.b8, self.b9 = C2f(256, 256, 1, True), SPPF(256, 256)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h12, self.h15 = C2f(384, 128), C2f(192, 64)
        self.h16, self.h18 = Conv(64, 64, 3, 2), C2f(192, 128)
        self.h19, self.h21 = Conv(128, 128, 3, 2), C2f(384, 256)
        self.detect = Detect(nc, (64, 128, 256))

    def forward(self, x):
        p3 = self.b4(self.b3(self.b2(self.b1(self.b0(x)))))
        p4 = self.b6(self.b5(p3))
        p5 = self.b9(self.b8(self.b7(p4)))
        h12 = self.h12(torch.cat((self.up(p5), p4), 1))
        h15 = self.h15(torch.cat((self.up(h12), p3), 1))
        h18 = self.h18(torch.cat((self.h16(h15), h12), 1))
        h21 = self.h21(torch.cat((self.h19(h18), p5), 1))
        return self.detect([h15, h18, h21])


COCO = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
        "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
        "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
        "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
        "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
        "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
        "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
        "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
        "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush"]


def yolo_module():
    torch.manual_seed(0)
    return YOLOv8n(len(COCO)).eval()


# ---- Depth Anything V2 Small: transformers' model from its published configuration -----------

class DepthOnly(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).predicted_depth


def depth_module():
    try:
        from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config
    except ImportError as e:
        sys.exit(f"gpu_models: the depth model needs transformers ({e}); use --only yolo here")
    backbone = Dinov2Config(image_size=518, patch_size=14, hidden_size=384, num_hidden_layers=12,
                            num_attention_heads=6, mlp_ratio=4,
                            out_features=["stage3", "stage6", "stage9", "stage12"],
                            apply_layernorm=True, reshape_hidden_states=False)
    config = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=384, patch_size=14,
                                 neck_hidden_sizes=[48, 96, 192, 384], fusion_hidden_size=64,
                                 head_hidden_size=32, depth_estimation_type="relative")
    torch.manual_seed(0)
    return DepthOnly(DepthAnythingForDepthEstimation(config)).eval()


# ---- export -------------------------------------------------------------------------------------

def onnx_export(module, example, path, in_name, out_name, out_axes):
    kwargs = dict(input_names=[in_name], output_names=[out_name], opset_version=17,
                  dynamic_axes={in_name: {0: "batch"}, out_name: out_axes})
    try:
        torch.onnx.export(module, example, path, dynamo=False, **kwargs)  # the TorchScript exporter
    except TypeError:  # a torch without the dynamo argument (Debian's 1.13)
        torch.onnx.export(module, example, path, **kwargs)


def set_metadata(path, meta, output_dims=None):
    """Adds metadata_props; output_dims (one entry per dimension: a size or a name) replaces the
    exporter's generated names such as 'Concatoutput0_dim_1', so that percept reads the layout
    from the graph."""
    import onnx
    m = onnx.load(path)
    if output_dims:
        dims = m.graph.output[0].type.tensor_type.shape.dim
        for d, v in zip(dims, output_dims):
            if isinstance(v, int):
                d.dim_value = v
            else:
                d.dim_param = v
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(m, path)


def export(args):
    os.makedirs(args.out, exist_ok=True)
    with torch.no_grad():
        if args.only in (None, "yolo"):
            path = os.path.join(args.out, "yolov8n.onnx")
            onnx_export(yolo_module(), torch.zeros(1, 3, args.imgsz, args.imgsz), path, "images",
                        "output0", {0: "batch"})
            names = "{" + ", ".join(f"{i}: '{n}'" for i, n in enumerate(COCO)) + "}"
            anchors = sum((args.imgsz // s) ** 2 for s in (8, 16, 32))
            set_metadata(path, {"task": "detect", "names": names,
                                "imgsz": f"[{args.imgsz}, {args.imgsz}]", "stride": "32"},
                         ["batch", 4 + len(COCO), anchors])
            print(f"gpu_models: {path}")
        if args.only in (None, "depth"):
            path = os.path.join(args.out, "depth_anything_v2_vits.onnx")
            s = args.depth_size
            onnx_export(depth_module(), torch.zeros(1, 3, s, s), path, "pixel_values",
                        "predicted_depth", {0: "batch"})
            set_metadata(path, {"task": "depth"}, ["batch", s, s])
            print(f"gpu_models: {path}")


# ---- PyTorch reference timing -----------------------------------------------------------------

def torch_bench(args):
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        sys.exit("gpu_models: torch sees no CUDA device")
    batches = [int(b) for b in args.batch.split(",")]
    models = [("yolov8n", yolo_module, args.imgsz)]
    if args.only in (None, "depth"):
        models.append(("depth_anything_v2_vits", depth_module, args.depth_size))
    if args.only == "depth":
        models = models[1:]
    out = open(os.path.join(args.out, "torch_bench.jsonl"), "w")
    for name, make, size in models:
        for precision in (["float32", "float16"] if cuda else ["float32"]):
            module = make().to(dev)
            dtype = torch.float16 if precision == "float16" else torch.float32
            module = module.to(dtype)
            for b in batches:
                x = torch.rand(b, 3, size, size, device=dev, dtype=dtype)
                times = []
                with torch.inference_mode():
                    for i in range(args.warmup + args.iterations):
                        if cuda:
                            start, end = torch.cuda.Event(True), torch.cuda.Event(True)
                            start.record()
                            module(x)
                            end.record()
                            end.synchronize()
                            ms = start.elapsed_time(end)
                        else:
                            t0 = time.perf_counter()
                            module(x)
                            ms = (time.perf_counter() - t0) * 1e3
                        if i >= args.warmup:
                            times.append(ms)
                times.sort()
                row = {"model": name, "framework": f"torch {torch.__version__}",
                       "device": torch.cuda.get_device_name(dev) if cuda else "cpu",
                       "precision": precision, "batch": b, "input": f"{size}x{size}",
                       "iterations": len(times),
                       "p50_ms": round(times[len(times) // 2], 3),
                       "p90_ms": round(times[min(len(times) - 1, math.ceil(0.9 * len(times)) - 1)], 3)}
                line = json.dumps(row)
                print(line, flush=True)
                out.write(line + "\n")
    out.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("export", "torch-bench"):
        p = sub.add_parser(name)
        p.add_argument("--out", required=True)
        p.add_argument("--only", choices=["yolo", "depth"])
        p.add_argument("--imgsz", type=int, default=640)
        p.add_argument("--depth-size", type=int, default=518)
        if name == "torch-bench":
            p.add_argument("--device", default="cuda")
            p.add_argument("--batch", default="1,4")
            p.add_argument("--warmup", type=int, default=10)
            p.add_argument("--iterations", type=int, default=50)
    args = ap.parse_args()
    export(args) if args.cmd == "export" else torch_bench(args)


if __name__ == "__main__":
    main()
