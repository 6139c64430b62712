#!/usr/bin/python3
"""Export a YOLOv8n-SIZED ONNX model with random weights (benchmark model).

Builds the real YOLOv8n architecture (Ultralytics yolov8n.yaml: depth 0.33,
width 0.25, max_channels 1024 -> Conv/C2f/SPPF backbone, PAN neck, decoupled
Detect head with DFL reg_max 16), 80 classes, 3,157,200 parameters (the
Ultralytics count), random weights from a fixed seed.  BatchNorm statistics
are calibrated on random noise (so activations stay in a sane range, no
inf/denormal storms) and then folded into the convolutions; the Detect biases
get Ultralytics' bias_init, so class probabilities are tiny (random weights
detect nothing meaningful; this model exists only to time inference).

Output follows Ultralytics exactly: input "images" [1,3,640,640] float32
(RGB, /255, letterboxed), output "output0" [1, 84, 8400] = cx, cy, w, h in
input pixels + 80 sigmoid class probabilities, DFL + dist2bbox decoded in the
graph, anchors stride 8 (80x80) first, then 16 (40x40), then 32 (20x20).
Metadata props as Ultralytics writes them (task detect, imgsz [640, 640],
names {0: 'person', ...} COCO dict repr, stride 32, batch 1, ...).

Not committed: benchmarks generate it into the build folder, e.g.
    /usr/bin/python3 tools/export_yolov8n.py build/yolov8n_random.onnx
    /usr/bin/python3 tools/export_yolov8n.py out.onnx --dynamic-batch --seed 1
Takes a few seconds on CPU.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yolo_common as yc  # noqa: E402

COCO_NAMES = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]

# yolov8n.yaml scaled: make_divisible(min(c, 1024) * 0.25, 8), repeats max(round(n * 0.33), 1)
def yolov8n_cfg(depth=0.33, width=0.25, max_channels=1024):
    ch = [yc.make_divisible(min(c, max_channels) * width, 8) for c in (64, 128, 256, 512, 1024)]
    depths = [max(round(n * depth), 1) for n in (3, 6, 6, 3)]
    neck = max(round(3 * depth), 1)
    return dict(widths=tuple(ch), depths=tuple(depths), neck_depth=neck)


def build_yolov8n(seed=0, imgsz=640, calibrate=True):
    torch.manual_seed(seed)
    model = yc.YOLOv8(80, reg_max=16, **yolov8n_cfg())
    yc.init_weights_like_ultralytics(model)
    model.head.bias_init(imgsz)
    model.names = {i: n for i, n in enumerate(COCO_NAMES)}
    if calibrate:  # BN running stats := statistics of random input (keeps activations sane)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = None  # cumulative average
                m.reset_running_stats()
        model.train()
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for _ in range(2):
                model(torch.rand(2, 3, imgsz, imgsz, generator=g))
    model.eval()
    return model


def main():
    ap = argparse.ArgumentParser(description="Export a random-weight YOLOv8n (Ultralytics layout) to ONNX.")
    ap.add_argument("output", help="output .onnx path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--dynamic-batch", action="store_true", help="batch dimension 'batch' instead of 1")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--no-fuse", action="store_true", help="keep BatchNorm layers (eval mode)")
    args = ap.parse_args()

    t0 = time.time()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    model = build_yolov8n(args.seed, args.imgsz)
    n_params = yc.count_params(model)
    if not args.no_fuse:
        model = yc.fuse_conv_bn(model)
    n_fused = yc.count_params(model)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    out_shape = yc.export_onnx(model, args.output, (args.imgsz, args.imgsz),
                               dynamic_batch=args.dynamic_batch, opset=args.opset)
    yc.add_onnx_metadata(
        args.output, COCO_NAMES, (args.imgsz, args.imgsz),
        description="YOLOv8n architecture with RANDOM weights (seed %d), benchmark only" % args.seed,
        extra={"seed": args.seed, "training_script": "tools/export_yolov8n.py (untrained)"})
    size = os.path.getsize(args.output)
    print("YOLOv8n (random weights, seed %d): %d parameters (%.2f M), %d after BN fusion"
          % (args.seed, n_params, n_params / 1e6, n_fused))
    print("wrote %s: %d bytes (%.2f MB), input images [%s, 3, %d, %d], output output0 %s, %.1fs"
          % (args.output, size, size / 1e6, "batch" if args.dynamic_batch else 1, args.imgsz,
             args.imgsz, [("batch" if args.dynamic_batch else 1)] + list(out_shape[1:]),
             time.time() - t0))


if __name__ == "__main__":
    main()
