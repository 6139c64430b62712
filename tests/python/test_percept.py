"""The Python module (docs/PYTHON.md) against the C++ paths it wraps: percept.Model's results
against `percept infer --json` on the same image, percept.Runtime's frames against the
detections.jsonl the same run writes, errors as percept.Error with percept's own messages.

Run by ctest (tests/CMakeLists.txt) with Debian's python3 and PYTHONPATH=build/python;
PERCEPT_BINARY, PERCEPT_MODELS and PERCEPT_TOOLS come from there too.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import cv2
import numpy as np

import percept

percept.set_log_level("warning")  # no line per model opened
BINARY = os.environ["PERCEPT_BINARY"]
MODELS = os.environ["PERCEPT_MODELS"]
sys.path.insert(0, os.environ["PERCEPT_TOOLS"])
import shapes_dataset  # noqa: E402

DETECTOR = os.path.join(MODELS, "shapes_yolov8.onnx")
DEPTH = os.path.join(MODELS, "scene_depth.onnx")
POSE = os.path.join(MODELS, "shapes_yolov8_pose.onnx")
SEG = os.path.join(MODELS, "shapes_yolov8_seg.onnx")


def shapes_image(index=3, seed=4321):
    img, objs = shapes_dataset.render_image(shapes_dataset.image_rng(seed, index))
    return np.ascontiguousarray(img), objs


def infer_json(model, image_path, *flags):
    # --out-dir: the maps it writes go beside the image (a test folder), not into the cwd.
    out = subprocess.run([BINARY, "infer", "--model", model, "--image", image_path, "--json",
                          "--out-dir", os.path.dirname(image_path), *flags],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


class Tmp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="percept_py_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ModelTest(Tmp):
    def test_detections_equal_percept_infer(self):
        img, objs = shapes_image()
        path = os.path.join(self.dir, "shapes.png")
        cv2.imwrite(path, img)
        ref = infer_json(DETECTOR, path, "--conf", "0.4")
        model = percept.Model(DETECTOR, conf=0.4, threads=2)
        self.assertEqual(model.task, "detect")
        self.assertEqual(model.labels[:2], ["circle", "square"])
        r = model(img)
        self.assertIsInstance(r, percept.Result)
        self.assertEqual(r.contents, ["detections"])
        self.assertGreaterEqual(len(r), len(objs) - 1)  # the model finds the shapes
        want = ref["detections"]
        self.assertEqual(len(r), len(want))
        np.testing.assert_allclose(r.boxes, [d["box"] for d in want], atol=0.01)
        np.testing.assert_allclose(r.scores, [d["score"] for d in want], atol=1e-4)
        self.assertEqual(list(r.class_ids), [d["class_id"] for d in want])
        self.assertEqual(r.labels, [d["label"] for d in want])
        self.assertEqual(r.boxes.dtype, np.float32)
        self.assertEqual(r.boxes.shape, (len(want), 4))
        self.assertTrue(np.isnan(r.distances).all())  # no depth model serves it
        self.assertTrue((r.track_ids == 0).all())
        # to_dict() is the JSONL's schema: the same keys and values as percept infer's JSON.
        d = r.to_dict()
        self.assertEqual([x["label"] for x in d["detections"]], r.labels)
        np.testing.assert_allclose([x["box"] for x in d["detections"]], r.boxes, atol=0.01)

    def test_rgb_frames_and_strided_views_give_the_same_boxes(self):
        img, _ = shapes_image(5)
        bgr = percept.Model(DETECTOR, conf=0.4)(img)
        rgb = percept.Model(DETECTOR, conf=0.4, color="rgb")(np.ascontiguousarray(img[:, :, ::-1]))
        np.testing.assert_allclose(bgr.boxes, rgb.boxes, atol=0.01)
        # A crop is a view with a longer row stride: read in place, not refused.
        big = np.zeros((img.shape[0] + 20, img.shape[1] + 40, 3), np.uint8)
        big[10:-10, 20:-20] = img
        crop = big[10:-10, 20:-20]
        self.assertFalse(crop.flags["C_CONTIGUOUS"])
        np.testing.assert_allclose(percept.Model(DETECTOR, conf=0.4)(crop).boxes, bgr.boxes,
                                   atol=0.01)

    def test_a_list_of_frames_is_one_call_with_the_same_results(self):
        frames = [shapes_image(i)[0] for i in range(3)]
        model = percept.Model(DETECTOR, conf=0.4)
        batch = model(frames)
        self.assertEqual(len(batch), 3)
        for f, r in zip(frames, batch):
            np.testing.assert_allclose(r.boxes, model(f).boxes, atol=0.01)

    def test_depth_map_is_a_view_without_a_copy(self):
        img = (np.random.default_rng(1).random((240, 320, 3)) * 255).astype(np.uint8)
        path = os.path.join(self.dir, "room.png")
        cv2.imwrite(path, img)
        ref = infer_json(DEPTH, path)["depth"]
        r = percept.Model(DEPTH)(img)
        self.assertEqual(r.task, "depth")
        self.assertEqual(r.depth_unit, ref["unit"])
        d = r.depth
        self.assertEqual(d.shape, img.shape[:2])
        self.assertEqual(d.dtype, np.float32)
        self.assertFalse(d.flags["OWNDATA"])  # a view into the result
        self.assertFalse(d.flags["WRITEABLE"])
        self.assertTrue(np.shares_memory(d, r.depth))  # the same memory each time
        del r
        self.assertTrue(np.isfinite(d).all())  # the view keeps its result alive
        self.assertAlmostEqual(float(d.min()), ref["min"], places=3)
        self.assertAlmostEqual(float(d.max()), ref["max"], places=3)
        self.assertAlmostEqual(float(d.mean()), ref["mean"], places=3)

    def test_pose_keypoints_and_instance_masks(self):
        img, _ = shapes_image(7)
        path = os.path.join(self.dir, "shapes.png")
        cv2.imwrite(path, img)
        pose = percept.Model(POSE, conf=0.4)(img)
        ref = infer_json(POSE, path, "--conf", "0.4")["detections"]
        self.assertEqual(pose.keypoints.shape[0], len(ref))
        np.testing.assert_allclose(pose.keypoints, [d["keypoints"] for d in ref], atol=0.01)
        seg = percept.Model(SEG, conf=0.4)(img)
        self.assertIn("masks", seg.contents)
        ref = infer_json(SEG, path, "--conf", "0.4")["detections"]
        self.assertEqual(len(seg), len(ref))
        imap = seg.instance_map()
        self.assertEqual(imap.shape, img.shape[:2])
        for i, d in enumerate(ref):
            m = seg.mask(i)
            self.assertEqual(int(m.sum()), d["mask"]["area"])
            self.assertTrue((imap[m] >= 1).all())
        with self.assertRaises(IndexError):
            seg.mask(len(ref))

    def test_a_tracked_model_keeps_ids_across_calls(self):
        model = percept.Model(DETECTOR, tracker="bytetrack")
        self.assertTrue(model.tracked)
        img, _ = shapes_image(9)
        ids = []
        for k in range(5):  # the same shapes, moving 2 px a frame
            shifted = np.roll(img, 2 * k, axis=1)
            r = model(shifted, timestamp_ns=k * 33_333_333)
            ids.append(sorted(r.track_ids.tolist()))
        self.assertGreater(len(ids[-1]), 0)
        self.assertTrue(all(i >= 1 for i in ids[-1]))
        self.assertEqual(ids[-1], ids[-2])  # confirmed on the second frame, then stable
        with self.assertRaises(ValueError):
            model([img, img])

    def test_bad_input_and_options_raise_with_percept_messages(self):
        with self.assertRaises(percept.Error) as e:
            percept.Model(os.path.join(self.dir, "missing.onnx"))
        self.assertIn("missing.onnx", str(e.exception))
        with self.assertRaises(percept.Error) as e:
            percept.Model(DETECTOR, conf=2)
        self.assertIn("conf", str(e.exception))
        self.assertEqual(e.exception.code, "invalid_argument")
        with self.assertRaises(percept.Error) as e:
            percept.Model(DETECTOR, confidence=0.3)
        self.assertIn("unknown key 'confidence'", str(e.exception))
        with self.assertRaises(percept.Error) as e:
            percept.Model(DETECTOR, task="nope")
        self.assertIn("'nope'", str(e.exception))
        self.assertTrue(issubclass(percept.Error, RuntimeError))
        with self.assertRaises(ValueError):
            percept.set_log_level("loud")
        model = percept.Model(DETECTOR)
        with self.assertRaises(TypeError):
            model(np.zeros((64, 64, 3), np.float32))
        with self.assertRaises(ValueError):
            model(np.zeros((64, 64, 4), np.uint8))
        with self.assertRaises(ValueError):
            model(np.zeros((0, 64, 3), np.uint8))
        with self.assertRaises(ValueError):  # channels not packed
            model(np.zeros((64, 64, 6), np.uint8)[:, :, ::2])
        self.assertEqual(len(model(np.zeros((64, 64), np.uint8)).boxes.shape), 2)  # gray works

    def test_models_run_in_threads_without_the_gil(self):
        img, _ = shapes_image(11)
        models = [percept.Model(DETECTOR, conf=0.4, threads=1) for _ in range(2)]
        want = models[0](img).boxes
        got = [None, None]

        def work(i):
            for _ in range(5):
                got[i] = models[i](img).boxes

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for g in got:
            np.testing.assert_allclose(g, want, atol=0.01)


def synthetic_config(out_dir, frames=30, tracker=True, mode="lossless"):
    model = {"id": "det", "path": DETECTOR, "conf": 0.4}
    if tracker:
        model["tracker"] = "bytetrack"
    return {"mode": mode,
            "cameras": [{"id": "a", "source": "synthetic", "width": 320, "height": 240,
                         "frames": frames, "objects": 3, "seed": 5},
                        {"id": "b", "source": "synthetic", "width": 256, "height": 192,
                         "frames": frames, "objects": 2, "seed": 6}],
            "models": [model],
            "output": {"dir": out_dir, "video": False}}


class RuntimeTest(Tmp):
    def test_frames_match_the_jsonl_of_the_same_run(self):
        out = os.path.join(self.dir, "out")
        seen = {"a": [], "b": []}
        with percept.Runtime(synthetic_config(out)) as rt:
            self.assertEqual(rt.cameras, ["a", "b"])
            self.assertEqual(rt.models, ["det"])
            for f in rt:
                self.assertIsInstance(f, percept.FrameResult)
                seen[f.camera].append(f)
        self.assertEqual([f.index for f in seen["a"]], list(range(30)))  # capture order
        self.assertEqual([f.index for f in seen["b"]], list(range(30)))
        jsonl = {}
        with open(os.path.join(out, "detections.jsonl")) as fh:
            for line in fh:
                j = json.loads(line)
                jsonl[(j["camera"], j["frame"])] = j
        self.assertEqual(len(jsonl), 60)
        tracked = 0
        for cam, frames in seen.items():
            for f in frames:
                r = f["det"]
                self.assertEqual(r.state, "done")
                self.assertEqual(r.task, "detect")
                j = jsonl[(cam, f.index)]
                self.assertAlmostEqual(f.capture_time, j["capture_time_s"], places=3)
                self.assertEqual(len(r), len(j["detections"]))
                if len(r):
                    np.testing.assert_allclose(r.boxes, [d["box"] for d in j["detections"]],
                                               atol=0.01)
                    self.assertEqual(r.track_ids.tolist(),
                                     [d.get("track_id", 0) for d in j["detections"]])
                tracked += int((r.track_ids > 0).sum())
        self.assertGreater(tracked, 50)
        s = rt.summary
        self.assertIsNotNone(s)
        self.assertEqual(s["frames"], 60)
        self.assertEqual(s["sinks"]["python"]["written"], 60)
        self.assertEqual(s["sinks"]["jsonl"]["written"], 60)

    def test_stop_drains_and_ends_the_iteration(self):
        cfg = synthetic_config(os.path.join(self.dir, "out"), frames=-1, tracker=False)
        rt = percept.Runtime(cfg)
        n = 0
        t0 = time.monotonic()
        for f in rt:
            n += 1
            if n == 10:
                rt.stop()
        self.assertGreaterEqual(n, 10)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertIsNotNone(rt.summary)

    def test_the_deadline_controller_reaches_the_summary(self):
        # A 1 ms deadline no frame can meet: the controller skips the lower-priority camera's
        # frames (both steps at once: skipping cannot make a frame faster), then stays at its
        # lightest setting and says so (docs/CONTROL.md).
        cfg = synthetic_config(os.path.join(self.dir, "out"), frames=-1, tracker=False,
                               mode="live")
        cfg["cameras"][0].update({"deadline_ms": 1, "priority": 1, "fps": 15})
        cfg["cameras"][1].update({"fps": 15})
        cfg["control"] = {"enabled": True, "interval_s": 0.1, "window_s": 0.5,
                          "settle_s": 0.3, "min_frames": 4}
        rt = percept.Runtime(cfg)
        t0 = time.monotonic()
        for _ in rt:
            if time.monotonic() - t0 > 2.5:
                rt.stop()
        c = rt.summary["control"]
        self.assertEqual(c["steps"], 2)
        self.assertEqual(c["state"], "at_limit")
        self.assertEqual(c["degrades_total"], 2)
        self.assertEqual([a["to"] for a in c["actions"]], ["1 in 2", "1 in 4"])
        self.assertTrue(all(a["target"] == "b" for a in c["actions"]))
        skipped = {cam["id"]: cam["skipped"] for cam in rt.summary["cameras"]}
        self.assertEqual(skipped["a"], 0)
        self.assertGreater(skipped["b"], 5)

    def test_wait_without_iterating_does_not_hold_the_run(self):
        rt = percept.Runtime(synthetic_config(os.path.join(self.dir, "out"), frames=40))
        s = rt.wait()  # lossless, queue of 8: it would block if results waited for Python
        self.assertEqual(s["frames"], 80)
        rt2 = percept.Runtime(synthetic_config(os.path.join(self.dir, "o2"), frames=5),
                              results=False)
        self.assertEqual(rt2.wait()["frames"], 10)
        with self.assertRaises(percept.Error):
            next(iter(rt2))

    def test_callback_form_and_a_config_file(self):
        path = os.path.join(self.dir, "c.yaml")
        with open(path, "w") as fh:
            json.dump(synthetic_config(os.path.join(self.dir, "out"), frames=8), fh)
        got = []
        s = percept.Runtime(path).run(lambda f: got.append((f.camera, f.index)))
        self.assertEqual(sorted(got), sorted([(c, i) for c in "ab" for i in range(8)]))
        self.assertEqual(s["frames"], 16)

    def test_config_errors_name_the_line_and_run_errors_raise_at_the_end(self):
        path = os.path.join(self.dir, "bad.yaml")
        with open(path, "w") as fh:
            fh.write("cameras:\n  - id: a\n    source: synthetic\n    colour: red\n"
                     "models:\n  - {id: d, path: x.onnx}\n")
        with self.assertRaises(percept.Error) as e:
            percept.Runtime(path)
        self.assertIn("bad.yaml:4:", str(e.exception))
        self.assertIn("unknown key 'colour'", str(e.exception))
        cfg = synthetic_config(os.path.join(self.dir, "out"))
        cfg["models"][0]["path"] = os.path.join(self.dir, "missing.onnx")
        with self.assertRaises(percept.Error) as e:
            percept.Runtime(cfg)
        self.assertIn("missing.onnx", str(e.exception))
        cfg = synthetic_config(os.path.join(self.dir, "out"))
        cfg["telemetry"] = {"metrics": {"port": 0}}
        with self.assertRaises(percept.Error) as e:
            percept.Runtime(cfg)
        self.assertIn("percept run", str(e.exception))
        # A model that cannot open fails the run: raised from the iteration, not swallowed.
        bad = os.path.join(self.dir, "bad.onnx")
        with open(bad, "wb") as fh:
            fh.write(b"not a model")
        cfg = synthetic_config(os.path.join(self.dir, "out"))
        cfg["models"][0]["path"] = bad
        with self.assertRaises(percept.Error) as e:
            for _ in percept.Runtime(cfg):
                pass
        self.assertIn("bad.onnx", str(e.exception))


class ExampleTest(Tmp):
    def test_the_detect_example_runs(self):
        img, _ = shapes_image(2)
        path = os.path.join(self.dir, "shapes.png")
        cv2.imwrite(path, img)
        example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python",
                               "detect_image.py")
        out = subprocess.run([sys.executable, example, DETECTOR, path], check=True,
                             capture_output=True, text=True, env=os.environ).stdout
        self.assertIn("detections", out)
        self.assertGreater(len(out.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
