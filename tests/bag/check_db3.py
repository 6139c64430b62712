#!/usr/bin/env python3
"""rosbag2 sqlite3 bags from `percept run` (output.bag format sqlite3), read back with Python's
own sqlite3 and yaml: the tables and columns Jazzy's rosbag2_storage_sqlite3 creates (schema
version 4), the schema row, topics, message definitions, metadata row and metadata.yaml; every
message's CDR (encapsulation header, header.stamp = the timestamp column, frame_id, image sizes,
detection counts = detections.jsonl). `--crash`: a live run killed by SIGKILL opens with every
committed message.

  /usr/bin/python3 tests/bag/check_db3.py --percept build/percept --models models [--crash]
"""
import argparse
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

import yaml

FRAMES = 12
TOPICS = {
    "/percept/a/image_raw": "sensor_msgs/msg/Image",
    "/percept/a/camera_info": "sensor_msgs/msg/CameraInfo",
    "/percept/a/det/detections": "vision_msgs/msg/Detection2DArray",
    "/percept/a/det/detections_3d": "vision_msgs/msg/Detection3DArray",
    "/percept/a/depth/depth": "sensor_msgs/msg/Image",
    "/percept/b/image_raw": "sensor_msgs/msg/Image",
    "/percept/b/det/detections": "vision_msgs/msg/Detection2DArray",
}
# rosbag2_storage_sqlite3 on Jazzy: table -> columns, in order.
TABLES = {
    "schema": ["schema_version", "ros_distro"],
    "metadata": ["id", "metadata_version", "metadata"],
    "topics": ["id", "name", "type", "serialization_format", "offered_qos_profiles",
               "type_description_hash"],
    "message_definitions": ["id", "topic_type", "encoding", "encoded_message_definition",
                            "type_description_hash"],
    "messages": ["id", "topic_id", "timestamp", "data"],
}

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


class Cdr:
    """Little-endian XCDR1 after the 4-byte encapsulation header; alignment from the body."""

    def __init__(self, blob):
        self.b, self.o = blob[4:], 0

    def align(self, n):
        self.o += (-self.o) % n

    def u32(self):
        self.align(4)
        v = struct.unpack_from("<I", self.b, self.o)[0]
        self.o += 4
        return v

    def i32(self):
        self.align(4)
        v = struct.unpack_from("<i", self.b, self.o)[0]
        self.o += 4
        return v

    def string(self):
        n = self.u32()
        s = self.b[self.o:self.o + n - 1].decode()
        if self.b[self.o + n - 1] != 0:
            raise ValueError("string without its NUL")
        self.o += n
        return s


def config(work, live):
    m = lambda name: json.dumps(os.path.join(os.path.abspath(ARGS.models), name))
    frames = -1 if live else FRAMES
    return f"""mode: {'live' if live else 'lossless'}
cameras:
  - {{id: a, source: synthetic, width: 160, height: 120, frames: {frames}, fps: 30,
     frame_id: a_optical, intrinsics: {{fx: 150, fy: 150, cx: 80, cy: 60}}}}
  - {{id: b, source: synthetic, width: 128, height: 96, frames: {frames}, fps: 30, seed: 5}}
models:
  - {{id: det, path: {m('shapes_yolov8.onnx')}, threads: 1}}
  - {{id: depth, path: {m('scene_depth.onnx')}, threads: 1, cameras: [a]}}
output:
  dir: {json.dumps(os.path.join(work, 'out'))}
  jsonl: true
  video: false
  bag: {{path: {json.dumps(os.path.join(work, 'rec'))}, format: sqlite3, images: true,
        chunk_mib: 0.05, chunk_s: 0.2}}
"""


def check_messages(db, complete):
    topics = {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, name, type FROM topics")}
    counts, problems, detections = {}, [], {}
    for topic_id, stamp, blob in db.execute(
            "SELECT topic_id, timestamp, data FROM messages ORDER BY timestamp, id"):
        name, type_ = topics[topic_id]
        counts[name] = counts.get(name, 0) + 1
        if blob[:3] != b"\x00\x01\x00" or blob[3] >= 4 or len(blob) % 4:
            problems.append(f"{name}: encapsulation {blob[:4].hex()} size {len(blob)}")
            continue
        try:
            c = Cdr(blob)
            sec, nsec, frame_id = c.i32(), c.u32(), c.string()
            if sec * 1_000_000_000 + nsec != stamp:
                problems.append(f"{name}: header.stamp {sec}.{nsec:09d} != timestamp {stamp}")
            cam = name.split("/")[2]
            if frame_id != ("a_optical" if cam == "a" else cam):
                problems.append(f"{name}: frame_id {frame_id}")
            if type_ == "sensor_msgs/msg/Image":
                h, w, enc = c.u32(), c.u32(), c.string()
                c.o += 1  # is_bigendian
                step, n = c.u32(), c.u32()
                want = (160, 120) if cam == "a" else (128, 96)
                if (w, h) != want or n != step * h or c.o + n > len(c.b):
                    problems.append(f"{name}: {w}x{h} {enc} step {step} data {n}")
            elif type_ == "sensor_msgs/msg/CameraInfo":
                h, w, model = c.u32(), c.u32(), c.string()
                if (w, h, model) != (160, 120, "plumb_bob"):
                    problems.append(f"{name}: {w}x{h} {model}")
            elif type_ == "vision_msgs/msg/Detection2DArray":
                detections.setdefault(cam, []).append(c.u32())
        except (ValueError, struct.error, UnicodeDecodeError, IndexError) as e:
            problems.append(f"{name}: does not decode: {e}")
    check(not problems, f"every message's CDR reads back: {problems[:5]}")
    if complete:
        for name in TOPICS:
            check(counts.get(name) == FRAMES, f"{name}: {counts.get(name)} messages, {FRAMES} frames")
    else:
        check(sum(counts.values()) > 0 and set(counts) == set(TOPICS),
              f"every topic has messages: {counts}")
    return counts, detections


def case_record(work):
    r = subprocess.run([ARGS.percept, "run", os.path.join(work, "c.yaml"), "--no-progress"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"percept run exits 0 ({r.returncode}) {r.stderr[-1500:] if r.returncode else ''}")
    rec = os.path.join(work, "rec")
    check(sorted(os.listdir(rec)) == ["metadata.yaml", "rec_0.db3"],
          f"the bag folder holds rec_0.db3 and metadata.yaml: {sorted(os.listdir(rec))}")
    db = sqlite3.connect(f"file:{os.path.join(rec, 'rec_0.db3')}?mode=ro", uri=True)
    for table, columns in TABLES.items():
        got = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        check(got == columns, f"table {table}: {got}")
    check([r[1] for r in db.execute("PRAGMA index_list(messages)")] == ["timestamp_idx"],
          "messages has timestamp_idx")
    check(db.execute("SELECT schema_version, ros_distro FROM schema").fetchall() == [(4, "jazzy")],
          "schema row: version 4, jazzy")
    rows = db.execute("SELECT name, type, serialization_format, offered_qos_profiles, "
                      "type_description_hash FROM topics").fetchall()
    check({r[0]: r[1] for r in rows} == TOPICS, f"topics: {[r[0] for r in rows]}")
    check(all(r[2] == "cdr" and r[4].startswith("RIHS01_") and len(r[4]) == 71 and
              yaml.safe_load(r[3])[0]["reliability"] == "reliable" for r in rows),
          "topics: cdr, a RIHS01 hash, offered_qos_profiles as rosbag2's YAML")
    defs = db.execute("SELECT topic_type, encoding, encoded_message_definition FROM "
                      "message_definitions").fetchall()
    check(sorted(d[0] for d in defs) == sorted(set(TOPICS.values())) and
          all(d[1] == "ros2msg" and "\nMSG: std_msgs/Header\n" in d[2] for d in defs),
          f"one ros2msg definition per type, with its dependencies: {[d[0] for d in defs]}")
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check ok")
    counts, detections = check_messages(db, complete=True)
    meta = db.execute("SELECT metadata_version, metadata FROM metadata").fetchall()
    check(len(meta) == 1 and meta[0][0] == 9, f"one metadata row, version 9: {[m[0] for m in meta]}")
    info = yaml.safe_load(open(os.path.join(rec, "metadata.yaml")))["rosbag2_bagfile_information"]
    check(yaml.safe_load(meta[0][1]) == info if meta else False,
          "the metadata row holds what metadata.yaml says")
    check(info["version"] == 9 and info["storage_identifier"] == "sqlite3" and
          info["relative_file_paths"] == ["rec_0.db3"] and info["ros_distro"] == "jazzy" and
          info["custom_data"] == {} and info["compression_format"] == "",
          "metadata.yaml: version 9, sqlite3, rec_0.db3, jazzy")
    total = sum(counts.values())
    check(info["message_count"] == total and info["files"][0]["message_count"] == total,
          f"metadata.yaml: {info['message_count']} messages")
    per_topic = {t["topic_metadata"]["name"]: t["message_count"]
                 for t in info["topics_with_message_count"]}
    check(per_topic == counts, f"metadata.yaml: per topic counts {per_topic}")
    stamps = [r[0] for r in db.execute("SELECT timestamp FROM messages")]
    check(info["starting_time"]["nanoseconds_since_epoch"] == min(stamps) and
          info["duration"]["nanoseconds"] == max(stamps) - min(stamps),
          "metadata.yaml: starting time and duration of the messages")
    for cam in ("a", "b"):
        lines = [json.loads(l) for l in open(os.path.join(work, "out", "detections.jsonl"))]
        want = [len(j.get("detections", [])) for j in lines if j["camera"] == cam and j["model"] == "det"]
        check(detections.get(cam) == want and sum(want) > 0,
              f"{cam}: detections per message equal detections.jsonl ({sum(want)} boxes)")


def case_crash(work):
    p = subprocess.Popen([ARGS.percept, "run", os.path.join(work, "c.yaml"), "--no-progress"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db_path = os.path.join(work, "rec", "rec_0.db3")
    start = time.time()
    while time.time() - start < 60 and p.poll() is None:
        time.sleep(0.1)
        size = sum(os.path.getsize(db_path + s) for s in ("", "-wal") if os.path.exists(db_path + s))
        if size > 200_000 and time.time() - start > 2:
            break
    check(p.poll() is None, "percept still running before the kill")
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(p.returncode == -signal.SIGKILL, f"percept died by SIGKILL ({p.returncode})")
    check(not os.path.exists(os.path.join(work, "rec", "metadata.yaml")),
          "no metadata.yaml (close() never ran)")
    db = sqlite3.connect(db_path)  # read-write: sqlite replays the WAL, as rosbag2 would
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check ok")
    counts, _ = check_messages(db, complete=False)
    print(f"     {sum(counts.values())} messages committed before the kill")


ap = argparse.ArgumentParser()
ap.add_argument("--percept", required=True)
ap.add_argument("--models", required=True)
ap.add_argument("--crash", action="store_true")
ARGS = ap.parse_args()
work = tempfile.mkdtemp(prefix="percept-db3-")
open(os.path.join(work, "c.yaml"), "w").write(config(work, ARGS.crash))
(case_crash if ARGS.crash else case_record)(work)
print(f"{failures} checks failed (files in {work})" if failures else "all checks passed")
sys.exit(1 if failures else 0)
