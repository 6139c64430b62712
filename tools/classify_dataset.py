#!/usr/bin/python3
"""Procedural shape *classification* dataset (library + CLI).

One roughly centred shape per image on a textured, cluttered background,
rendered with tools/shapes_dataset.py's background and shape renderers (that
module is only imported, its behaviour is unchanged).  Classes (ids 0..4,
shapes_dataset.CLASSES): circle, square, triangle, star, cross.

Image: SIZE x SIZE (default 64) BGR.  The shape's centre is within +-8 % of
the image centre, circumradius 26..44 % of the side, random rotation, colour
contrasting with the background under it, random blur / noise.

Deterministic: image i uses numpy.random.default_rng([seed, i]); its class is
i % 5 rotated by a per-seed offset, so every 5 consecutive images hold all classes
and image i does not depend on --count.

CLI:
    /usr/bin/python3 tools/classify_dataset.py --out DIR --count N --seed S [--size 64]
writes DIR/images/000000.png ... and DIR/labels.json:
    {"classes": [...], "seed": S, "size": 64,
     "images": [{"file": "images/000000.png", "class_id": c}]}

Library:
    import classify_dataset as cd
    img_bgr, class_id = cd.render_sample(seed, i, size=64)
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

CLASSES = sd.CLASSES
NUM_CLASSES = len(CLASSES)
SIZE = 64


def render_sample(seed, index, size=SIZE):
    """Returns (img_bgr uint8 size x size x 3, class_id)."""
    rng = np.random.default_rng([int(seed), int(index)])
    cls = int((index + seed) % NUM_CLASSES)
    # background rendered at 2x then downscaled: clutter stays fine-grained
    big = 2 * size
    img = sd.render_background(rng, big, big)
    radius = rng.uniform(0.26, 0.44) * big
    cx = big / 2 + rng.uniform(-0.08, 0.08) * big
    cy = big / 2 + rng.uniform(-0.08, 0.08) * big
    angle = rng.uniform(0, 2 * np.pi)
    poly = sd.shape_polygon(cls, cx, cy, radius, angle)
    x0, y0, alpha = sd.coverage_mask(cls, cx, cy, radius, poly, big, big)
    under = img[y0:y0 + alpha.shape[0], x0:x0 + alpha.shape[1]][alpha > 0.5].astype(np.float32)
    color = sd._pick_color(rng, under.mean(0) if len(under) else np.full(3, 128, np.float32))
    sd._blend(img, x0, y0, alpha, sd._shade_color(rng, color))
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.3, 0.8))
    sigma = rng.uniform(0, 8)
    if sigma > 0.5:
        img = np.clip(img.astype(np.float32) + rng.standard_normal(img.shape, dtype=np.float32) * sigma,
                      0, 255).astype(np.uint8)
    return img, cls


def render_array(seed, count, size=SIZE, start=0):
    """(N, size, size, 3) uint8 BGR images and (N,) int64 labels."""
    x = np.empty((count, size, size, 3), np.uint8)
    y = np.empty(count, np.int64)
    for k in range(count):
        x[k], y[k] = render_sample(seed, start + k, size)
    return x, y


def _write_one(job):
    out_dir, seed, i, size = job
    img, cls = render_sample(seed, i, size)
    fn = "images/%06d.png" % i
    cv2.imwrite(os.path.join(out_dir, fn), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return {"file": fn, "class_id": cls}


def generate_dataset(out_dir, count, seed, size=SIZE, workers=None, verbose=True):
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    t0 = time.time()
    jobs = [(out_dir, seed, i, size) for i in range(count)]
    workers = workers or min(4, os.cpu_count() or 1)
    if workers > 1 and count >= 64:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            images = pool.map(_write_one, jobs, chunksize=16)
    else:
        images = [_write_one(j) for j in jobs]
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump({"classes": CLASSES, "seed": int(seed), "size": size, "images": images}, f)
    if verbose:
        print("wrote %d images %dx%d to %s in %.1fs" % (count, size, size, out_dir, time.time() - t0))
    return images


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--size", type=int, default=SIZE)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    generate_dataset(args.out, args.count, args.seed, args.size, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
