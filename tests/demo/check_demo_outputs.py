#!/usr/bin/python3
"""Checks that the demo run shows what the demo says it shows (issue 21, item 6).

    check_demo_outputs.py OUT_DIR FRAMES_PER_CAMERA

OUT_DIR is a `percept run configs/demo.yaml --output-dir OUT_DIR` run plus its report.html.
Exits 1 naming the first thing missing: the mosaic video (a 2x2 grid of 640x360 tiles, one
frame per frame of the first camera), track ids on both detector cameras, 3D positions in
metres where the camera has intrinsics and metric depth, keypoints on the pose camera, and
the report's sections.
"""
import json
import os
import sys

import cv2


def fail(msg):
    sys.exit("demo outputs: " + msg)


def main():
    out, frames = sys.argv[1], int(sys.argv[2])
    cap = cv2.VideoCapture(os.path.join(out, "mosaic.annotated.avi"))
    if not cap.isOpened():
        fail("no mosaic.annotated.avi in " + out)
    n, size = 0, None
    while True:
        ok, img = cap.read()
        if not ok:
            break
        n, size = n + 1, img.shape[:2]
    if n != frames or size != (720, 1280):
        fail(f"mosaic: {n} frames of {size}, expected {frames} of (720, 1280)")
    ids = {"front": set(), "left": set(), "right": set()}
    placed = {"front": 0, "left": 0}
    keypoints = 0
    with open(os.path.join(out, "detections.jsonl")) as f:
        for line in f:
            j = json.loads(line)
            for d in j.get("detections", []):
                if "track_id" in d:
                    ids[j["camera"]].add(d["track_id"])
                if "position_m" in d:
                    if not (0 < d["position_m"][2] < 100):
                        fail(f"position_m {d['position_m']} on {j['camera']} frame {j['frame']}")
                    placed[j["camera"]] += 1
                if j["model"] == "pose":
                    keypoints += len(d.get("keypoints", []))
    for cam, s in ids.items():
        if len(s) < 2:
            fail(f"camera {cam}: {len(s)} track ids")
    for cam, k in placed.items():
        if k < frames:
            fail(f"camera {cam}: {k} detections with position_m over {frames} frames")
    if keypoints < frames:
        fail(f"pose: {keypoints} keypoints over {frames} frames")
    with open(os.path.join(out, "report.html")) as f:
        html = f.read()
    for section in ("latency-over-time", "stage-breakdown", "bottlenecks"):
        if f'id="{section}"' not in html:
            fail("report.html has no section " + section)
    print(f"demo outputs: mosaic {n} frames, track ids {[len(s) for s in ids.values()]}, "
          f"3D {placed}, {keypoints} keypoints, report ok")


if __name__ == "__main__":
    main()
