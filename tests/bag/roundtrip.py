#!/usr/bin/env python3
"""Record, then replay: `percept run` writes its camera frames into a bag (output.bag with
images: true, MCAP or sqlite3), and a second run reads that bag back as a camera (source: bag,
topic /percept/a/image_raw). The replayed frames are the recorded pixels, so the detector must
find exactly what it found live, frame by frame, with the same capture times (the replay's
capture time is the message's header.stamp, which the bag sink set to the first run's capture
time).

  /usr/bin/python3 tests/bag/roundtrip.py --percept build/percept --models models --format mcap
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FRAMES = 10
ap = argparse.ArgumentParser()
ap.add_argument("--percept", required=True)
ap.add_argument("--models", required=True)
ap.add_argument("--format", choices=["mcap", "sqlite3"], required=True)
args = ap.parse_args()
work = tempfile.mkdtemp(prefix="percept-roundtrip-")
model = json.dumps(os.path.abspath(os.path.join(args.models, "shapes_yolov8.onnx")))
bag = os.path.join(work, "rec.mcap" if args.format == "mcap" else "rec")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def run(name, camera):
    cfg = os.path.join(work, name + ".yaml")
    out = os.path.join(work, name)
    bag_line = (f"  bag: {{path: {json.dumps(bag)}, format: {args.format}, images: true}}\n"
                if name == "record" else "")
    with open(cfg, "w") as f:
        f.write(f"""mode: lossless
cameras:
  - {camera}
models:
  - {{id: det, path: {model}, threads: 1}}
output:
  dir: {json.dumps(out)}
  jsonl: true
  video: false
{bag_line}""")
    r = subprocess.run([args.percept, "run", cfg, "--no-progress"], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, f"{name}: percept run exits 0 ({r.returncode}) "
                             f"{r.stderr[-1500:] if r.returncode else ''}")
    path = os.path.join(out, "detections.jsonl")
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []


live = run("record", f"{{id: a, source: synthetic, width: 160, height: 120, frames: {FRAMES}}}")
replay = run("replay", f"{{id: a, source: bag, path: {json.dumps(bag)}, topic: /percept/a/image_raw}}")
check(len(live) == FRAMES and len(replay) == FRAMES,
      f"{len(live)} frames recorded, {len(replay)} replayed")
same_times = all(abs(a["capture_time_s"] - b["capture_time_s"]) < 1e-6 for a, b in zip(live, replay))
check(same_times and len(live) == len(replay), "the replay's capture times are the recorded ones")
boxes = 0
same = len(live) == len(replay)
for a, b in zip(live, replay):
    da, db = a.get("detections", []), b.get("detections", [])
    boxes += len(da)
    if [d["label"] for d in da] != [d["label"] for d in db]:
        same = False
    for x, y in zip(da, db):
        if max(abs(p - q) for p, q in zip(x["box"], y["box"])) > 0.01 or abs(x["score"] - y["score"]) > 1e-3:
            same = False
check(same and boxes > 0, f"the replay finds the same {boxes} boxes, frame by frame")
print(f"{failures} checks failed (files in {work})" if failures else "all checks passed")
sys.exit(1 if failures else 0)
