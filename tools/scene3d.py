#!/usr/bin/python3
"""Procedural 3-D indoor scenes with exact metric depth and per-pixel classes.

Each image is a ray-cast (numpy) render of a room seen by a pinhole camera:
a textured floor (square tiles of exactly TILE = 0.5 m with grout lines), a
back wall and two side walls (infinitely tall, so every pixel hits a surface),
and 2..6 objects standing on the floor: boxes (rotated about the vertical
axis) and spheres.  Objects covering fewer than 0.3 % of the image (about 230 px at
320x240: slivers behind other objects or at the border) are removed, so
every object in an image is reasonably visible (a scene can end up with fewer than 2).  Flat Lambertian shading from one directional light plus
ambient, hard shadows of the objects, texture noise and a little sensor noise.

Classes (ids, one constant: CLASSES):
    0 floor, 1 wall, 2 box, 3 sphere

Camera (OpenCV convention: x right, y down, z forward; pixel (u, v) = column,
row; pixel centres at integer coordinates):
    width x height = 320 x 240 by default
    fx = fy = 260 * width / 320, cx = (width - 1) / 2, cy = (height - 1) / 2
    no distortion, no roll; height above the floor CAM_HEIGHT = U(1.25, 1.35) m,
    downward pitch PITCH_DEG = U(8, 12) deg, yaw U(-15, 15) deg to the room.
Scene: back wall 6..11 m ahead, side walls 2.5..4.5 m to each side; objects
at 1.5..8 m depth.  Depth values are in about 0.9..14 m (floor at the bottom
image row is about 1.1 m away; far corners of the room up to ~14 m).

Ground truth per pixel:
    depth: float32 z-depth in metres (distance along the optical axis, not
           along the ray), exact for the pixel-centre ray;
    seg:   uint8 class id of the surface that ray hits.

Deterministic: image i uses numpy.random.default_rng([seed, i]), so image i
does not depend on --count.

CLI:
    /usr/bin/python3 tools/scene3d.py --out DIR --count N --seed S [--width 320 --height 240]
writes DIR/images/000000.png (BGR), DIR/depth/000000.pfm (float32 metres,
standard PFM: "Pf\\n{w} {h}\\n-1.0\\n", little endian, rows stored
BOTTOM-TO-TOP), DIR/seg/000000.png (uint8 class ids, 1 channel) and
DIR/labels.json {"classes", "seed", "width", "height", "intrinsics":
{"fx","fy","cx","cy"}, "depth_unit": "m", "depth_kind": "z",
"images": [{"file", "depth", "seg"}]}.

Library:
    import scene3d
    img_bgr, depth, seg = scene3d.render_scene(scene3d.image_rng(seed, i))
    write_pfm(path, depth); depth = read_pfm(path)
"""

import argparse
import json
import math
import os
import sys
import time

import cv2
import numpy as np

CLASSES = ["floor", "wall", "box", "sphere"]
FLOOR, WALL, BOX, SPHERE = 0, 1, 2, 3
NUM_CLASSES = len(CLASSES)

WIDTH, HEIGHT = 320, 240
F_AT_320 = 260.0            # focal length in pixels for a 320-wide image
TILE = 0.5                  # floor tile size in metres (a metric scale cue)
CAM_HEIGHT = (1.25, 1.35)   # metres above the floor
PITCH_DEG = (8.0, 12.0)     # downward
YAW_DEG = (-15.0, 15.0)
BACK_WALL = (6.0, 11.0)     # metres ahead (room frame)
SIDE_WALL = (2.5, 4.5)      # metres to each side
OBJ_DEPTH = (1.5, 8.0)
NUM_OBJECTS = (2, 6)
MIN_VISIBLE = 0.003         # objects seen by fewer pixels (fraction of the image) are removed


def image_rng(seed, index):
    """Independent generator for image `index` of dataset `seed`."""
    return np.random.default_rng([int(seed), int(index)])


def intrinsics(width=WIDTH, height=HEIGHT):
    f = F_AT_320 * width / 320.0
    return {"fx": f, "fy": f, "cx": (width - 1) / 2.0, "cy": (height - 1) / 2.0}


# --------------------------------------------------------------------------
# PFM
# --------------------------------------------------------------------------

def write_pfm(path, img):
    """Single-channel float32 PFM, little endian (scale -1), rows bottom-to-top."""
    a = np.asarray(img, np.float32)
    assert a.ndim == 2
    h, w = a.shape
    with open(path, "wb") as f:
        f.write(b"Pf\n%d %d\n-1.0\n" % (w, h))
        f.write(np.ascontiguousarray(np.flipud(a)).astype("<f4").tobytes())


def read_pfm(path):
    """Read a PFM (Pf or PF) written top-to-bottom in memory order; returns float32 HxW[x3]."""
    with open(path, "rb") as f:
        data = f.read()
    # header: three whitespace-separated tokens, each line ends with one newline
    parts, pos = [], 0
    while len(parts) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end].decode("ascii"))
        pos = end
    pos += 1  # the single whitespace char after the scale
    kind, w, h, scale = parts[0], int(parts[1]), int(parts[2]), float(parts[3])
    ch = {"Pf": 1, "PF": 3}[kind]
    dt = "<f4" if scale < 0 else ">f4"
    a = np.frombuffer(data, dt, count=w * h * ch, offset=pos).reshape(h, w, ch) if ch == 3 \
        else np.frombuffer(data, dt, count=w * h, offset=pos).reshape(h, w)
    return np.flipud(a).astype(np.float32)


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def _noise_texture(rng, size, octaves=((8, 1.0), (32, 0.5), (128, 0.25))):
    """Tileable-ish value-noise texture in [-1, 1] (float32 size x size)."""
    tex = np.zeros((size, size), np.float32)
    for g, a in octaves:
        small = rng.standard_normal((g, g)).astype(np.float32)
        tex += a * cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    return tex / max(1e-6, float(np.abs(tex).max()))


def _sample(tex, u, v):
    """Bilinear wrap-around lookup of tex at texel coordinates (u, v) (float arrays)."""
    n = u.size
    w = 1024
    pad = (-n) % w
    uu = np.pad(u.astype(np.float32).ravel(), (0, pad)).reshape(-1, w)
    vv = np.pad(v.astype(np.float32).ravel(), (0, pad)).reshape(-1, w)
    out = cv2.remap(tex, uu, vv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    return out.ravel()[:n].reshape(u.shape)


def _rand_color(rng, lo=30, hi=230):
    return rng.uniform(lo, hi, 3)


def _far_color(rng, others, min_dist=90.0):
    best, bd = None, -1
    for _ in range(20):
        c = rng.uniform(20, 240, 3)
        d = min((np.linalg.norm(c - o) for o in others), default=1e9)
        if d >= min_dist:
            return c
        if d > bd:
            best, bd = c, d
    return best


def _camera(rng):
    h = rng.uniform(*CAM_HEIGHT)
    pitch = math.radians(rng.uniform(*PITCH_DEG))
    yaw = math.radians(rng.uniform(*YAW_DEG))
    # camera axes in the room frame (x right, y up, z forward)
    fwd = np.array([0.0, -math.sin(pitch), math.cos(pitch)])
    up = np.array([0.0, math.cos(pitch), math.sin(pitch)])
    right = np.array([1.0, 0.0, 0.0])
    c, s = math.cos(yaw), math.sin(yaw)
    ry = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([0.0, h, 0.0]), ry @ right, ry @ up, ry @ fwd


def _ray_box(o, d, box):
    """Slab test against a box rotated by `yaw` about y. Returns t (inf = miss), normal axis idx, sign."""
    cx, cz, hx, hy, hz, yaw = box
    c, s = math.cos(yaw), math.sin(yaw)
    # to local frame: rotate by -yaw about y
    ox, oz = o[0] - cx, o[2] - cz
    lox, loz = c * ox - s * oz, s * ox + c * oz
    lo = np.array([lox, o[1] - hy, loz])
    ldx = c * d[0] - s * d[2]
    ldz = s * d[0] + c * d[2]
    ld = [ldx, d[1], ldz]
    half = [hx, hy, hz]
    tmin = np.full(d[0].shape, -np.inf, np.float32)
    tmax = np.full(d[0].shape, np.inf, np.float32)
    axis = np.zeros(d[0].shape, np.int8)
    sign = np.zeros(d[0].shape, np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            inv = 1.0 / ld[k]
            t1 = (-half[k] - lo[k]) * inv
            t2 = (half[k] - lo[k]) * inv
            tn = np.minimum(t1, t2)
            tf = np.maximum(t1, t2)
            upd = tn > tmin
            axis[upd] = k
            sign[upd] = -np.sign(ld[k][upd])
            tmin = np.maximum(tmin, tn)
            tmax = np.minimum(tmax, tf)
    hit = (tmax >= tmin) & (tmin > 1e-4)
    t = np.where(hit, tmin, np.inf).astype(np.float32)
    # normal in room frame (local axis rotated back by +yaw)
    nlx = np.where(axis == 0, sign, 0).astype(np.float32)
    nly = np.where(axis == 1, sign, 0).astype(np.float32)
    nlz = np.where(axis == 2, sign, 0).astype(np.float32)
    n = np.stack([c * nlx + s * nlz, nly, -s * nlx + c * nlz], -1)
    return t, n


def _ray_sphere(o, d, sph):
    cx, cy, cz, r = sph
    ox, oy, oz = o[0] - cx, o[1] - cy, o[2] - cz
    a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    b = ox * d[0] + oy * d[1] + oz * d[2]
    cc = ox * ox + oy * oy + oz * oz - r * r
    disc = b * b - a * cc
    with np.errstate(invalid="ignore"):
        t = (-b - np.sqrt(disc)) / a
    t = np.where((disc >= 0) & (t > 1e-4), t, np.inf).astype(np.float32)
    return t


def _place_objects(rng, side_l, side_r, back, cam_pos, right, fwd, f, width):
    n = int(rng.integers(NUM_OBJECTS[0], NUM_OBJECTS[1] + 1))
    objs = []
    half_fov = math.atan(width / 2.0 / f)
    yaw_cam = math.atan2(fwd[0], fwd[2])
    for _ in range(n):
        for _try in range(30):
            kind = BOX if rng.random() < 0.5 else SPHERE
            dist = rng.uniform(OBJ_DEPTH[0], min(OBJ_DEPTH[1], back - 1.0))
            ang = yaw_cam + rng.uniform(-0.85, 0.85) * half_fov
            x, z = dist * math.sin(ang), dist * math.cos(ang)
            if kind == BOX:
                hx, hy, hz = rng.uniform(0.18, 0.5), rng.uniform(0.15, 0.55), rng.uniform(0.18, 0.5)
                rad = math.hypot(hx, hz)
                shape = (x, z, hx, hy, hz, rng.uniform(0, math.pi / 2))
            else:
                r = rng.uniform(0.2, 0.45)
                rad = r
                shape = (x, r, z, r)
            if x - rad < -side_l + 0.05 or x + rad > side_r - 0.05 or z + rad > back - 0.05:
                continue
            if any(math.hypot(x - o["x"], z - o["z"]) < rad + o["rad"] + 0.1 for o in objs):
                continue
            objs.append({"kind": kind, "x": x, "z": z, "rad": rad, "shape": shape})
            break
    return objs


def render_scene(rng, width=WIDTH, height=HEIGHT, return_info=False):
    """Render one scene. Returns (img_bgr uint8 HxWx3, depth float32 HxW metres, seg uint8 HxW)."""
    K = intrinsics(width, height)
    f = K["fx"]
    cam, right, up, fwd = _camera(rng)
    back = rng.uniform(*BACK_WALL)
    side_l, side_r = rng.uniform(*SIDE_WALL), rng.uniform(*SIDE_WALL)
    objs = _place_objects(rng, side_l, side_r, back, cam, right, fwd, f, width)

    us = (np.arange(width, dtype=np.float32) - K["cx"]) / f
    vs = (np.arange(height, dtype=np.float32) - K["cy"]) / f
    U, V = np.meshgrid(us, vs)
    # ray direction with unit forward component: parameter t == z-depth
    d = [U * right[k] - V * up[k] + fwd[k] for k in range(3)]
    d = [x.astype(np.float32) for x in d]
    o = cam

    def cast(objs):
        t_best = np.full((height, width), np.inf, np.float32)
        seg = np.zeros((height, width), np.uint8)
        nrm = np.zeros((height, width, 3), np.float32)
        obj_id = np.full((height, width), -1, np.int16)
        with np.errstate(divide="ignore", invalid="ignore"):
            # floor y = 0
            t = np.where(d[1] < 0, -o[1] / d[1], np.inf).astype(np.float32)
            m = t < t_best
            t_best[m], seg[m], nrm[m] = t[m], FLOOR, (0, 1, 0)
            # walls: z = back, x = -side_l, x = side_r (hit from inside)
            for axis, pos, n in ((2, back, (0, 0, -1)), (0, -side_l, (1, 0, 0)), (0, side_r, (-1, 0, 0))):
                t = ((pos - o[axis]) / d[axis]).astype(np.float32)
                t = np.where(t > 0, t, np.inf)
                m = t < t_best
                t_best[m], seg[m], nrm[m] = t[m], WALL, n
        for k, ob in enumerate(objs):
            if ob["kind"] == BOX:
                t, n = _ray_box(o, d, ob["shape"])
                m = t < t_best
                nrm[m] = n[m]
            else:
                t = _ray_sphere(o, d, ob["shape"])
                m = t < t_best
                cx, cy, cz, r = ob["shape"]
                nrm[m] = np.stack([(o[0] + t[m] * d[0][m] - cx) / r, (o[1] + t[m] * d[1][m] - cy) / r,
                                   (o[2] + t[m] * d[2][m] - cz) / r], -1)
            t_best[m], seg[m], obj_id[m] = t[m], ob["kind"], k
        return t_best, seg, nrm, obj_id

    t_best, seg, nrm, obj_id = cast(objs)
    # drop objects that would be (almost) invisible: slivers of a few pixels behind
    # other objects or at the image border (keeps per-image IoU meaningful)
    vis = np.bincount(obj_id.ravel().astype(np.int64) + 1, minlength=len(objs) + 1)[1:]
    if len(objs) and vis.min() < MIN_VISIBLE * width * height:
        objs = [ob for ob, v in zip(objs, vis) if v >= MIN_VISIBLE * width * height]
        t_best, seg, nrm, obj_id = cast(objs)
    depth = t_best
    P = [o[k] + depth * d[k] for k in range(3)]   # hit points, room frame

    # ---- materials
    tex = _noise_texture(rng, 128)
    img = np.zeros((height, width, 3), np.float32)
    floor_col = _rand_color(rng, 50, 210)
    grout_col = floor_col * rng.uniform(0.35, 0.7) if rng.random() < 0.6 else \
        np.minimum(255, floor_col * rng.uniform(1.3, 1.7) + 30)
    wall_col = _far_color(rng, [floor_col], 60)
    fm = seg == FLOOR
    if fm.any():
        fx_, fz_ = P[0][fm], P[2][fm]
        # grout lines every TILE metres, box-filtered by the pixel footprint
        fp = depth[fm] * (2.0 / f) + 1e-4
        lw = rng.uniform(0.02, 0.05)
        dx = np.abs(fx_ - np.round(fx_ / TILE) * TILE)
        dz = np.abs(fz_ - np.round(fz_ / TILE) * TILE)
        cov = np.maximum(np.clip((lw / 2 + fp / 2 - dx) / fp, 0, 1),
                         np.clip((lw / 2 + fp / 2 - dz) / fp, 0, 1)) * np.minimum(1, lw / fp + 0.3)
        # per-tile brightness variation + fine noise
        tv = _sample(tex, np.floor(fx_ / TILE) * 7.3 % 128, np.floor(fz_ / TILE) * 5.1 % 128)
        fine = _sample(tex, fx_ * 40.0, fz_ * 40.0)
        base = floor_col[None] * (1 + 0.08 * tv[:, None] + rng.uniform(0.05, 0.15) * fine[:, None])
        img[fm] = base * (1 - cov[:, None]) + grout_col[None] * cov[:, None]
    wm = seg == WALL
    if wm.any():
        # wall texture on (x or z, y) coordinates; skirting board stripe near the floor
        a = np.where(np.abs(nrm[wm][:, 2]) > 0.5, P[0][wm], P[2][wm])
        y = P[1][wm]
        n1 = _sample(tex, a * 12.0 + 50, y * 12.0 + 17)
        col = wall_col[None] * (1 + rng.uniform(0.05, 0.2) * n1[:, None])
        sk = rng.uniform(0.06, 0.15)
        skirt = (y < sk)[:, None]
        img[wm] = np.where(skirt, wall_col[None] * rng.uniform(0.4, 0.7), col)
    palette = [floor_col, wall_col]
    for k, ob in enumerate(objs):
        m = obj_id == k
        if not m.any():
            continue
        col = _far_color(rng, palette, 70)
        palette.append(col)
        n1 = _sample(tex, P[0][m] * 30.0 + 3 * k, (P[1][m] + P[2][m]) * 30.0)
        img[m] = col[None] * (1 + rng.uniform(0.02, 0.12) * n1[:, None])

    # ---- lighting: directional light from above/front + ambient, hard object shadows
    el = math.radians(rng.uniform(35, 70))
    az = rng.uniform(-math.pi, math.pi)
    L = np.array([math.cos(el) * math.sin(az), math.sin(el), -math.cos(el) * math.cos(az)], np.float32)
    lam = np.clip(nrm @ L, 0, 1)
    shadow = np.ones((height, width), np.float32)
    if objs:
        # shadow rays from floor / wall hit points toward the light
        sm = seg <= WALL
        so = [P[k][sm] for k in range(3)]
        sd = [np.full(so[0].shape, L[k], np.float32) for k in range(3)]
        blocked = np.zeros(so[0].shape, bool)
        for ob in objs:
            if ob["kind"] == BOX:
                t, _ = _ray_box_pts(so, sd, ob["shape"])
            else:
                t = _ray_sphere(so, sd, ob["shape"])
            blocked |= np.isfinite(t)
        shadow[sm] = np.where(blocked, 0.0, 1.0)
    amb = rng.uniform(0.35, 0.6)
    light = amb + (1 - amb) * lam * shadow
    img *= light[..., None] * rng.uniform(0.85, 1.15, 3)[None, None, :]
    # sensor: slight blur + noise
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.4, 0.9))
    img += rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(1, 5)
    img = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if return_info:
        info = {"camera_height": float(cam[1]), "back_wall": float(back),
                "objects": [{"class_id": ob["kind"], "shape": [float(v) for v in ob["shape"]]}
                            for ob in objs]}
        return img, depth, seg, info
    return img, depth, seg


def _ray_box_pts(o, d, box):
    """_ray_box for per-ray origins (list of 3 arrays)."""
    return _ray_box(o, d, box)


# --------------------------------------------------------------------------
# Dataset writer
# --------------------------------------------------------------------------

def _write_one(job):
    out_dir, seed, i, width, height = job
    img, depth, seg = render_scene(image_rng(seed, i), width, height)
    fi, fd, fs = "images/%06d.png" % i, "depth/%06d.pfm" % i, "seg/%06d.png" % i
    cv2.imwrite(os.path.join(out_dir, fi), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    write_pfm(os.path.join(out_dir, fd), depth)
    cv2.imwrite(os.path.join(out_dir, fs), seg, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return {"file": fi, "depth": fd, "seg": fs}


def generate_dataset(out_dir, count, seed, width=WIDTH, height=HEIGHT, workers=None, verbose=True):
    for sub in ("images", "depth", "seg"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    t0 = time.time()
    jobs = [(out_dir, seed, i, width, height) for i in range(count)]
    workers = workers or min(4, os.cpu_count() or 1)
    if workers > 1 and count >= 16:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            images = pool.map(_write_one, jobs, chunksize=4)
    else:
        images = [_write_one(j) for j in jobs]
    lab = {"classes": CLASSES, "seed": int(seed), "width": width, "height": height,
           "intrinsics": intrinsics(width, height), "depth_unit": "m", "depth_kind": "z",
           "images": images}
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump(lab, f, indent=1)
    if verbose:
        print("wrote %d scenes %dx%d to %s in %.1fs" % (count, width, height, out_dir, time.time() - t0))
    return lab


def load_dataset(data_dir):
    """Yields (img_bgr, depth, seg) for each image of a written dataset."""
    with open(os.path.join(data_dir, "labels.json")) as f:
        lab = json.load(f)
    for im in lab["images"]:
        yield (cv2.imread(os.path.join(data_dir, im["file"]), cv2.IMREAD_COLOR),
               read_pfm(os.path.join(data_dir, im["depth"])),
               cv2.imread(os.path.join(data_dir, im["seg"]), cv2.IMREAD_UNCHANGED))


def _self_test():
    import tempfile
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 12, (7, 5)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.pfm")
        write_pfm(p, a)
        b = read_pfm(p)
        raw = open(p, "rb").read()
    assert raw.startswith(b"Pf\n5 7\n-1.0\n"), raw[:16]
    assert np.array_equal(a, b)
    # first stored row is the bottom image row
    assert np.frombuffer(raw[len(b"Pf\n5 7\n-1.0\n"):][:20], "<f4").tolist() == a[-1].tolist()
    img, depth, seg = render_scene(image_rng(1, 0))
    assert img.shape == (HEIGHT, WIDTH, 3) and depth.shape == seg.shape == (HEIGHT, WIDTH)
    assert np.isfinite(depth).all() and depth.min() > 0.3 and seg.max() < NUM_CLASSES
    img2, depth2, seg2 = render_scene(image_rng(1, 0))
    assert np.array_equal(img, img2) and np.array_equal(depth, depth2)
    print("self-test ok (PFM round trip, determinism); depth range %.2f..%.2f m"
          % (depth.min(), depth.max()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="dataset output directory")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--width", type=int, default=WIDTH)
    ap.add_argument("--height", type=int, default=HEIGHT)
    ap.add_argument("--workers", type=int, default=None, help="processes (default: cores, max 4)")
    ap.add_argument("--self-test", action="store_true", help="PFM round trip + determinism check")
    args = ap.parse_args(argv)
    if args.self_test:
        _self_test()
    if args.out:
        generate_dataset(args.out, args.count, args.seed, args.width, args.height, args.workers)
    elif not args.self_test:
        ap.error("need --out DIR")
    return 0


if __name__ == "__main__":
    sys.exit(main())
