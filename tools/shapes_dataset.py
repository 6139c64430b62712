#!/usr/bin/python3
"""Procedural "coloured shapes" detection dataset (library + CLI).

Renders images of coloured shapes on cluttered, textured backgrounds together
with exact axis-aligned ground-truth boxes.  Classes (ids 0..4):

    0 circle, 1 square, 2 triangle, 3 star, 4 cross

Box convention: float pixel coordinates [x1, y1, x2, y2] with exclusive
x2/y2 edges (pixel i covers the continuous interval [i, i+1)); a shape whose
pixels span columns 10..19 has x1 = 10, x2 = 20.  Boxes are the analytic,
tight axis-aligned box of the (rotated) shape, clipped to the image.  Shapes
are rendered by 4x supersampled coverage so the pixels agree with the boxes.

Everything is deterministic for a given seed: image i uses the generator
numpy.random.default_rng([seed, i]), so image i does not depend on --count.

Image dataset mode:
    /usr/bin/python3 tools/shapes_dataset.py --out DIR --count N --seed S
writes DIR/images/000000.png ... and DIR/labels.json:
    {"classes": [...], "seed": S, "images": [{"file": "images/000000.png",
      "width": W, "height": H, "objects": [{"class_id": c, "box": [x1,y1,x2,y2]}]}]}

Video mode (the demo input):
    /usr/bin/python3 tools/shapes_dataset.py --video out.avi --frames 300 \
        --fps 30 --width 640 --height 480 --seed 7
writes an MJPG .avi of a few shapes moving at constant velocity (bouncing off
the borders, slowly rotating) over a static textured background, plus
out.avi.labels.jsonl with one JSON line of ground truth per frame:
    {"frame": i, "objects": [{"track_id": k, "class_id": c, "box": [...]}]}

Library use:
    import shapes_dataset as sd
    img_bgr, objects = sd.render_image(sd.image_rng(seed, i))
"""

import argparse
import json
import math
import os
import sys
import time

import cv2
import numpy as np

CLASSES = ["circle", "square", "triangle", "star", "cross"]
NUM_CLASSES = len(CLASSES)

SS = 4                      # supersampling factor for shape coverage masks
MIN_SIDE, MAX_SIDE = 240, 720
SIZE_RANGE = (0.16, 0.45)   # object size (circumscribed diameter) / shorter side
MAX_OCCLUSION = 0.40        # max fraction of an object hidden by later ones


def image_rng(seed, index):
    """Independent generator for image `index` of dataset `seed`."""
    return np.random.default_rng([int(seed), int(index)])


# --------------------------------------------------------------------------
# Shape geometry (continuous pixel coordinates, pixel i covers [i, i+1))
# --------------------------------------------------------------------------

def shape_polygon(class_id, cx, cy, radius, angle):
    """Polygon (K,2) float64 of a shape with circumradius `radius`.

    Circles are returned as a fine polygon (used for masks); their box is the
    exact circle box, see shape_box().
    """
    if class_id == 0:  # circle
        n = max(32, int(radius * 1.5))
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1) * radius
    elif class_id == 1:  # square, circumradius r -> half side r/sqrt(2)
        t = np.pi / 4 + np.arange(4) * np.pi / 2
        pts = np.stack([np.cos(t), np.sin(t)], 1) * radius
    elif class_id == 2:  # equilateral triangle
        t = -np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        pts = np.stack([np.cos(t), np.sin(t)], 1) * radius
    elif class_id == 3:  # 5-pointed star
        t = -np.pi / 2 + np.arange(10) * np.pi / 5
        rr = np.where(np.arange(10) % 2 == 0, 1.0, 0.45) * radius
        pts = np.stack([np.cos(t) * rr, np.sin(t) * rr], 1)
    elif class_id == 4:  # plus-shaped cross, arm half width = 0.3 * arm length
        L = radius / math.sqrt(1 + 0.3 ** 2)
        w = 0.3 * L
        pts = np.array([[w, -L], [w, -w], [L, -w], [L, w], [w, w], [w, L],
                        [-w, L], [-w, w], [-L, w], [-L, -w], [-w, -w], [-w, -L]],
                       np.float64)
    else:
        raise ValueError(class_id)
    if class_id != 0 and angle:
        c, s = math.cos(angle), math.sin(angle)
        pts = pts @ np.array([[c, s], [-s, c]])
    return pts + np.array([cx, cy])


def shape_box(class_id, cx, cy, radius, poly, width, height):
    """Tight axis-aligned box (x1,y1,x2,y2), clipped to the image."""
    if class_id == 0:
        x1, y1, x2, y2 = cx - radius, cy - radius, cx + radius, cy + radius
    else:
        x1, y1 = poly.min(0)
        x2, y2 = poly.max(0)
    return [float(np.clip(x1, 0, width)), float(np.clip(y1, 0, height)),
            float(np.clip(x2, 0, width)), float(np.clip(y2, 0, height))]


def coverage_mask(class_id, cx, cy, radius, poly, width, height):
    """Anti-aliased coverage of a shape.

    Returns (x0, y0, alpha) where alpha is a float32 (h, w) array in [0, 1]
    covering image pixels [x0, x0+w) x [y0, y0+h), or None if off-image.
    """
    if class_id == 0:
        bx1, by1, bx2, by2 = cx - radius, cy - radius, cx + radius, cy + radius
    else:
        (bx1, by1), (bx2, by2) = poly.min(0), poly.max(0)
    x0, y0 = max(0, int(math.floor(bx1))), max(0, int(math.floor(by1)))
    x1, y1 = min(width, int(math.ceil(bx2))), min(height, int(math.ceil(by2)))
    if x1 <= x0 or y1 <= y0:
        return None
    w, h = x1 - x0, y1 - y0
    m = np.zeros((h * SS, w * SS), np.uint8)
    shift = 4
    if class_id == 0:
        c = (int(round(((cx - x0) * SS - 0.5) * 16)), int(round(((cy - y0) * SS - 0.5) * 16)))
        cv2.circle(m, c, int(round(radius * SS * 16)), 255, -1, cv2.LINE_8, shift)
    else:
        p = (poly - np.array([x0, y0])) * SS - 0.5
        cv2.fillPoly(m, [np.round(p * 16).astype(np.int32)], 255, cv2.LINE_8, shift)
    alpha = cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return x0, y0, alpha


# --------------------------------------------------------------------------
# Background
# --------------------------------------------------------------------------

def _blob_polygon(rng, cx, cy, r):
    """Irregular smooth 'potato' blob: clearly not one of the classes."""
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    rr = np.ones_like(t)
    for k in (2, 3):
        rr += rng.uniform(0.12, 0.3) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    sx = rng.uniform(1.0, 2.5)  # elongate
    a = rng.uniform(0, np.pi)
    x, y = np.cos(t) * rr * r * sx, np.sin(t) * rr * r / sx
    c, s = math.cos(a), math.sin(a)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], 1)


def render_background(rng, width, height):
    """Textured background: gradient + low-frequency noise + clutter."""
    c0 = rng.uniform(0, 255, 3)
    c1 = rng.uniform(0, 255, 3)
    a = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32)
    ys = np.linspace(-0.5, 0.5, height, dtype=np.float32)
    t = (math.cos(a) * xs[None, :] + math.sin(a) * ys[:, None]) + 0.5
    t = np.clip(t, 0, 1)[..., None]
    img = c0.astype(np.float32) * (1 - t) + c1.astype(np.float32) * t
    # low-frequency colour noise
    gs = int(rng.integers(3, 9))
    low = rng.normal(0, rng.uniform(8, 30), (gs, gs, 3)).astype(np.float32)
    img += cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    # mid-frequency texture
    gs2 = int(rng.integers(16, 48))
    mid = rng.normal(0, rng.uniform(0, 10), (gs2, gs2, 3)).astype(np.float32)
    img += cv2.resize(mid, (width, height), interpolation=cv2.INTER_LINEAR)
    img = np.clip(img, 0, 255).astype(np.uint8)

    side = min(width, height)
    # clutter: lines / polylines
    for _ in range(int(rng.integers(0, 9))):
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        th = int(rng.integers(1, 5))
        if rng.random() < 0.6:
            p = rng.uniform(0, 1, 4) * [width, height, width, height]
            cv2.line(img, (int(p[0] * 16), int(p[1] * 16)), (int(p[2] * 16), int(p[3] * 16)),
                     col, th, cv2.LINE_AA, 4)
        else:  # wavy curve
            x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
            ang = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(0.3, 1.0) * side
            s = np.linspace(0, length, 40)
            amp, fr = rng.uniform(3, 0.08 * side), rng.uniform(1, 4) * 2 * np.pi / length
            off = amp * np.sin(fr * s)
            px = x0 + math.cos(ang) * s - math.sin(ang) * off
            py = y0 + math.sin(ang) * s + math.cos(ang) * off
            pts = np.round(np.stack([px, py], 1) * 16).astype(np.int32)
            cv2.polylines(img, [pts], False, col, th, cv2.LINE_AA, 4)
    # clutter: irregular blobs and elongated ellipses, semi-transparent
    for _ in range(int(rng.integers(0, 5))):
        overlay = img.copy()
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.04, 0.15) * side
        if rng.random() < 0.5:
            poly = _blob_polygon(rng, cx, cy, r)
            cv2.fillPoly(overlay, [np.round(poly * 16).astype(np.int32)], col, cv2.LINE_AA, 4)
        else:
            ax = (int(r * rng.uniform(1.6, 3.0)), int(r * rng.uniform(0.15, 0.45)))
            cv2.ellipse(overlay, (int(cx), int(cy)), ax, rng.uniform(0, 180), 0, 360, col, -1,
                        cv2.LINE_AA)
        al = rng.uniform(0.25, 0.7)
        img = cv2.addWeighted(overlay, al, img, 1 - al, 0)
    return img


# --------------------------------------------------------------------------
# Objects
# --------------------------------------------------------------------------

def _pick_color(rng, under_mean):
    best, best_d = None, -1.0
    for _ in range(24):
        col = rng.integers(0, 256, 3).astype(np.float32)
        d = float(np.linalg.norm(col - under_mean))
        lum = abs(float(col @ [0.114, 0.587, 0.299] - under_mean @ [0.114, 0.587, 0.299]))
        score = d + 0.5 * lum
        if d >= 110 and lum >= 35:
            return col
        if score > best_d:
            best, best_d = col, score
    return best


def _blend(img, x0, y0, alpha, color):
    h, w = alpha.shape
    patch = img[y0:y0 + h, x0:x0 + w].astype(np.float32)
    a = alpha[..., None]
    img[y0:y0 + h, x0:x0 + w] = np.clip(patch * (1 - a) + color * a + 0.5, 0, 255).astype(np.uint8)


def _shade_color(rng, color):
    """Per-object slight colour variation (flat most of the time)."""
    return np.clip(color + rng.normal(0, 6, 3), 0, 255).astype(np.float32)


def extreme_points(class_id, cx, cy, radius, poly):
    """The shape's leftmost, topmost, rightmost and bottommost points, (4, 2) float64: one on
    each edge of its box (the first polygon vertex where several tie)."""
    if class_id == 0:
        return np.array([[cx - radius, cy], [cx, cy - radius], [cx + radius, cy], [cx, cy + radius]])
    return np.array([poly[poly[:, 0].argmin()], poly[poly[:, 1].argmin()],
                     poly[poly[:, 0].argmax()], poly[poly[:, 1].argmax()]])


def render_image(rng, width=None, height=None, num_objects=None, masks=None, keypoints=None,
                 edge_cut=0.0, max_occlusion=MAX_OCCLUSION):
    """Render one image. Returns (img_bgr uint8 HxWx3, objects).

    objects: list of {"class_id": int, "box": [x1, y1, x2, y2]} (float px).
    masks: when a list, gets one (x0, y0, visible bool HxW) per object, in the order of
    `objects`: the pixels of the object that no later object hides (instance masks).
    keypoints: when a list, gets extreme_points() of each object, in the order of `objects`.
    Asking for masks or keypoints draws nothing more from `rng`: the image is the same.
    edge_cut: when > 0, three objects in ten may lie this fraction of their width across the
    frame's edge (0.6: the centre up to 0.2 radius outside), as shapes that enter or leave a
    video do; at 0 (the default) nothing more is drawn from `rng` and images stay as before.
    max_occlusion: the largest fraction of an object that later ones may hide.
    """
    if width is None:
        width = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
    if height is None:
        height = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
    img = render_background(rng, width, height)
    side = min(width, height)
    n = int(rng.integers(1, 9)) if num_objects is None else num_objects
    placed = []   # dicts: x0, y0, full (bool mask), vis (bool mask), area
    objects = []
    for _ in range(n):
        cls = int(rng.integers(0, NUM_CLASSES))
        if rng.random() < 0.3:
            frac = rng.uniform(SIZE_RANGE[0], 0.22)   # small ones
        else:
            frac = rng.uniform(SIZE_RANGE[0], SIZE_RANGE[1])
        radius = 0.5 * frac * side
        angle = rng.uniform(0, 2 * np.pi)
        ok = False
        cut = edge_cut > 0 and rng.random() < 0.3
        for _try in range(25):
            m = 0.9 * radius
            cx = rng.uniform(m, width - m)
            cy = rng.uniform(m, height - m)
            if cut:  # the centre this far from one edge (negative: outside the frame)
                d = rng.uniform((1.0 - 2.0 * edge_cut) * radius, m)
                edge = int(rng.integers(0, 4))
                if edge < 2:
                    cx = d if edge == 0 else width - d
                else:
                    cy = d if edge == 2 else height - d
            poly = shape_polygon(cls, cx, cy, radius, angle)
            cov = coverage_mask(cls, cx, cy, radius, poly, width, height)
            if cov is None:
                continue
            x0, y0, alpha = cov
            newm = alpha > 0.5
            h, w = newm.shape
            if cut and np.count_nonzero(newm) < 24:
                continue
            good = True
            for p in placed:  # would this hide too much of an earlier object?
                ix0, iy0 = max(x0, p["x0"]), max(y0, p["y0"])
                ix1 = min(x0 + w, p["x0"] + p["vis"].shape[1])
                iy1 = min(y0 + h, p["y0"] + p["vis"].shape[0])
                if ix1 <= ix0 or iy1 <= iy0:
                    continue
                a = p["vis"][iy0 - p["y0"]:iy1 - p["y0"], ix0 - p["x0"]:ix1 - p["x0"]]
                b = newm[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
                hidden = p["area"] - p["vis"].sum() + np.count_nonzero(a & b)
                if hidden > max_occlusion * p["area"]:
                    good = False
                    break
            if good:
                ok = True
                break
        if not ok:
            continue
        for p in placed:
            ix0, iy0 = max(x0, p["x0"]), max(y0, p["y0"])
            ix1 = min(x0 + w, p["x0"] + p["vis"].shape[1])
            iy1 = min(y0 + h, p["y0"] + p["vis"].shape[0])
            if ix1 > ix0 and iy1 > iy0:
                p["vis"][iy0 - p["y0"]:iy1 - p["y0"], ix0 - p["x0"]:ix1 - p["x0"]] &= \
                    ~newm[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
        under = img[y0:y0 + h, x0:x0 + w][newm].astype(np.float32)
        under_mean = under.mean(0) if len(under) else np.full(3, 128, np.float32)
        color = _pick_color(rng, under_mean)
        _blend(img, x0, y0, alpha, _shade_color(rng, color))
        placed.append({"x0": x0, "y0": y0, "vis": newm.copy(), "area": max(1, int(newm.sum()))})
        objects.append({"class_id": cls,
                        "box": shape_box(cls, cx, cy, radius, poly, width, height)})
        if keypoints is not None:
            keypoints.append(extreme_points(cls, cx, cy, radius, poly))
    if masks is not None:  # "vis" is final only now: later objects clear what they hide
        masks.extend((p["x0"], p["y0"], p["vis"]) for p in placed)
    # sensor effects
    if rng.random() < 0.25:
        k = int(rng.choice([3, 5]))
        img = cv2.GaussianBlur(img, (k, k), rng.uniform(0.5, 1.3))
    sigma = rng.uniform(0, 10)
    if sigma > 0.5:
        noise = rng.standard_normal(img.shape, dtype=np.float32) * sigma
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img, objects


# --------------------------------------------------------------------------
# Dataset writer
# --------------------------------------------------------------------------

def instance_map(masks, width, height):
    """16-bit index map of the visible masks: object k's pixels hold k + 1, 0 elsewhere."""
    out = np.zeros((height, width), np.uint16)
    for k, (x0, y0, vis) in enumerate(masks):
        h, w = vis.shape
        out[y0:y0 + h, x0:x0 + w][vis] = k + 1
    return out


def _write_one(job):
    out_dir, seed, i, with_masks = job
    masks = [] if with_masks else None
    kpts = [] if with_masks else None
    img, objs = render_image(image_rng(seed, i), masks=masks, keypoints=kpts)
    fn = "images/%06d.png" % i
    cv2.imwrite(os.path.join(out_dir, fn), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    entry = {"file": fn, "width": int(img.shape[1]), "height": int(img.shape[0]),
             "objects": [{"class_id": o["class_id"], "box": [round(v, 3) for v in o["box"]]}
                         for o in objs]}
    if with_masks:
        for o, k in zip(entry["objects"], kpts):
            o["keypoints"] = [[round(float(x), 3), round(float(y), 3)] for x, y in k]
        entry["masks"] = "masks/%06d.png" % i
        cv2.imwrite(os.path.join(out_dir, entry["masks"]),
                    instance_map(masks, img.shape[1], img.shape[0]))
    return entry


def generate_dataset(out_dir, count, seed, workers=None, verbose=True, with_masks=False):
    """Render `count` images + labels.json into out_dir (parallel, deterministic).

    with_masks: also masks/NNNNNN.png, the 16-bit instance map of each image (instance_map:
    object k of the image's "objects" is value k + 1), named by the entry's "masks" key.
    """
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    if with_masks:
        os.makedirs(os.path.join(out_dir, "masks"), exist_ok=True)
    t0 = time.time()
    jobs = [(out_dir, seed, i, with_masks) for i in range(count)]
    workers = workers or min(4, os.cpu_count() or 1)
    if workers > 1 and count >= 16:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            images = pool.map(_write_one, jobs, chunksize=8)
    else:
        images = [_write_one(j) for j in jobs]
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump({"classes": CLASSES, "seed": int(seed), "images": images}, f)
    if verbose:
        nobj = sum(len(im["objects"]) for im in images)
        print("wrote %d images (%d objects) to %s in %.1fs" % (count, nobj, out_dir, time.time() - t0))
    return images


def load_dataset(data_dir):
    """Returns (classes, list of (path, WxH, boxes Nx4 float, class ids N))."""
    with open(os.path.join(data_dir, "labels.json")) as f:
        lab = json.load(f)
    items = []
    for im in lab["images"]:
        boxes = np.array([o["box"] for o in im["objects"]], np.float64).reshape(-1, 4)
        cls = np.array([o["class_id"] for o in im["objects"]], np.int64)
        items.append((os.path.join(data_dir, im["file"]), (im["width"], im["height"]), boxes, cls))
    return lab["classes"], items


# --------------------------------------------------------------------------
# Video writer (demo input)
# --------------------------------------------------------------------------

def generate_video(path, frames, fps, width, height, seed, num_objects=None, verbose=True):
    rng = np.random.default_rng([int(seed), 1 << 20])
    bg = render_background(rng, width, height)
    side = min(width, height)
    n = int(rng.integers(3, 6)) if num_objects is None else num_objects
    objs = []
    for k in range(n):
        cls = k % NUM_CLASSES if n >= NUM_CLASSES else int(rng.integers(0, NUM_CLASSES))
        radius = 0.5 * rng.uniform(0.18, 0.32) * side
        speed = rng.uniform(0.4, 1.2) * side / fps / 4.0   # px per frame
        d = rng.uniform(0, 2 * np.pi)
        for _try in range(100):  # non-overlapping start positions
            x, y = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
            if all(math.hypot(x - o["x"], y - o["y"]) > radius + o["r"] for o in objs):
                break
        objs.append({"cls": cls, "r": radius, "x": x, "y": y,
                     "vx": speed * math.cos(d), "vy": speed * math.sin(d),
                     "a": rng.uniform(0, 2 * np.pi),
                     "va": rng.uniform(-1, 1) * (np.pi / 2) / fps,   # <= 90 deg / s
                     "color": None})
    for o in objs:  # colour vs background around the start position
        x0, y0 = int(max(0, o["x"] - o["r"])), int(max(0, o["y"] - o["r"]))
        patch = bg[y0:int(o["y"] + o["r"]), x0:int(o["x"] + o["r"])].reshape(-1, 3)
        o["color"] = _pick_color(rng, patch.mean(0).astype(np.float32))

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (width, height))
    if not writer.isOpened():
        raise RuntimeError("cv2.VideoWriter could not open %s" % path)
    t0 = time.time()
    with open(path + ".labels.jsonl", "w") as lf:
        for fi in range(frames):
            img = bg.copy()
            labels = []
            for k, o in enumerate(objs):
                poly = shape_polygon(o["cls"], o["x"], o["y"], o["r"], o["a"])
                cov = coverage_mask(o["cls"], o["x"], o["y"], o["r"], poly, width, height)
                if cov is not None:
                    _blend(img, cov[0], cov[1], cov[2], o["color"])
                    labels.append({"track_id": k, "class_id": o["cls"],
                                   "box": [round(v, 3) for v in
                                           shape_box(o["cls"], o["x"], o["y"], o["r"], poly, width, height)]})
            frng = np.random.default_rng([int(seed), 1 << 21, fi])
            noise = frng.standard_normal(img.shape, dtype=np.float32) * 3.0
            img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
            writer.write(img)
            lf.write(json.dumps({"frame": fi, "objects": labels}) + "\n")
            # advance: constant velocity, bounce off the borders
            for o in objs:
                o["x"] += o["vx"]
                o["y"] += o["vy"]
                o["a"] += o["va"]
                if o["x"] - o["r"] < 0 and o["vx"] < 0 or o["x"] + o["r"] > width and o["vx"] > 0:
                    o["vx"] = -o["vx"]
                if o["y"] - o["r"] < 0 and o["vy"] < 0 or o["y"] + o["r"] > height and o["vy"] > 0:
                    o["vy"] = -o["vy"]
            # shapes bounce off each other too (equal-mass elastic collision of
            # their circumscribed discs), so they rarely occlude one another
            for i in range(len(objs)):
                for j in range(i + 1, len(objs)):
                    a, b = objs[i], objs[j]
                    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
                    dist = math.hypot(dx, dy)
                    if dist >= a["r"] + b["r"] or dist < 1e-6:
                        continue
                    nx, ny = dx / dist, dy / dist
                    va = a["vx"] * nx + a["vy"] * ny
                    vb = b["vx"] * nx + b["vy"] * ny
                    if va - vb > 0:  # approaching
                        a["vx"] += (vb - va) * nx
                        a["vy"] += (vb - va) * ny
                        b["vx"] += (va - vb) * nx
                        b["vy"] += (va - vb) * ny
    writer.release()
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise RuntimeError("written video %s does not open" % path)
    reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    nread = 0
    while True:
        ok, fr = cap.read()
        if not ok:
            break
        if fr.shape[:2] != (height, width):
            raise RuntimeError("frame size mismatch %s" % (fr.shape,))
        nread += 1
    cap.release()
    if nread != frames or reported != frames:
        raise RuntimeError("video frame count mismatch: wrote %d, read %d, reported %d"
                           % (frames, nread, reported))
    if verbose:
        print("wrote %s: %d frames %dx%d @ %g fps, %d objects, %.1fs (labels: %s)"
              % (path, frames, width, height, fps, n, time.time() - t0, path + ".labels.jsonl"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="dataset output directory (image mode)")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--video", help="output .avi path (video mode)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--objects", type=int, default=None, help="video: number of moving shapes")
    ap.add_argument("--workers", type=int, default=None, help="image mode: processes (default: cores, max 4)")
    ap.add_argument("--masks", action="store_true",
                    help="image mode: also write masks/NNNNNN.png, 16-bit instance maps, and "
                         "each object's extreme points as \"keypoints\" (left, top, right, bottom)")
    args = ap.parse_args(argv)
    if args.video:
        generate_video(args.video, args.frames, args.fps, args.width, args.height, args.seed,
                       args.objects)
    elif args.out:
        generate_dataset(args.out, args.count, args.seed, args.workers, with_masks=args.masks)
    else:
        ap.error("need --out DIR or --video PATH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
