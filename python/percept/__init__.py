"""percept from Python: the same C++ runtime as the `percept` command, no subprocess.

    import percept
    model = percept.Model("models/shapes_yolov8.onnx", conf=0.4)
    result = model(frame_bgr)                 # a NumPy uint8 (H, W, 3) BGR frame
    result.boxes, result.scores, result.labels

    with percept.Runtime("configs/demo.yaml") as rt:
        for frame in rt:                      # each camera frame, in capture order
            print(frame.camera, frame.index, frame["det"].boxes)
    print(rt.summary["cameras"])

Errors are percept.Error (a RuntimeError) with the message percept prints, naming the file,
line, model or tensor, and .code ("invalid_argument", "model", "io", ...). docs/PYTHON.md.
"""

import json as _json
import os as _os

from ._percept import Error, FrameResult, Result, onnxruntime_version, set_log_level  # noqa: F401
from . import _percept

__all__ = ["Model", "Runtime", "Result", "FrameResult", "Error", "onnxruntime_version",
           "set_log_level"]


class Model:
    """One ONNX model on the frames you give it (what `percept infer` does).

    Model(path, task=None, device="cpu", color="bgr", **options)

    path: the .onnx file. task: detect, instance_segment, pose, depth, segment, classify or
    face; None tells it from the model's metadata and tensors, as the config does. device:
    "cpu", "cuda[:N]" or "tensorrt[:N]". color: the channel order of the frames you pass.
    options: any key of a config's `models:` entry (docs/CONFIG.md), e.g. conf=0.4, iou=0.5,
    threads=2, max_det=100, input_size=[640, 480], labels="names.txt",
    tracker="bytetrack" or tracker={"track_buffer": 60}. They are checked like the config's,
    and a wrong one raises percept.Error naming it.

    model(frame) -> Result; model([f1, f2, ...]) -> [Result, ...] (one batch where the model
    allows). A frame is a NumPy uint8 array (H, W, 3) or (H, W), read in place (no copy);
    the GIL is released while the model runs, so threads can run several models at once.
    A tracked model takes one frame per call, in order: model(frame, timestamp_ns=t) (any
    clock; default: now).
    """

    def __init__(self, path, task=None, device="cpu", color="bgr", **options):
        entry = {"id": "model", "path": _os.fspath(path), "device": device}
        if task is not None:
            entry["task"] = task
        entry.update(options)
        self._m = _percept._Model(_json.dumps(entry), "percept.Model(%s)" % entry["path"], color)
        self.path = entry["path"]

    def __call__(self, frames, timestamp_ns=None):
        return self._m(frames, timestamp_ns)

    task = property(lambda self: self._m.task, doc="The task in use: detect, depth, ...")
    labels = property(lambda self: self._m.labels, doc="Class names (may be empty).")
    input_size = property(lambda self: self._m.input_size, doc="Network input (width, height).")
    backend = property(lambda self: self._m.backend,
                       doc="Where it runs, e.g. onnxruntime-cpu (after any fallback).")
    description = property(lambda self: self._m.description,
                           doc="The conventions in use and where each came from.")
    tracked = property(lambda self: self._m.tracked, doc="Whether it has a tracker.")

    def __repr__(self):
        return "<percept.Model %s: %s on %s>" % (self.path, self.task, self.backend)


class Runtime:
    """The whole pipeline of a config: cameras, dynamic batching, tracking, 3D, every sink.

    Runtime(config, max_frames=-1, results=True, queue_depth=8)

    config: a config file's path, or a dict with the same keys (relative paths from the
    current folder). max_frames: per camera (-1: until the sources end or stop()).
    results: hand each frame's results to Python; iterate the runtime to take them. In
    lossless mode a consumer that falls behind holds the pipeline back; in live mode the
    frames it has no room for are dropped and counted under the sink "python".

    Iterating starts the run (start() does so explicitly) and yields a FrameResult per
    camera frame. stop() asks the sources to stop; frames already accepted are still
    finished and delivered, then the iteration ends. wait() runs to the end, dropping results
    not taken, and returns the summary (what summary.json holds); after the run, .summary
    holds it too. The run's error, if any, is raised at the end of the iteration or by wait().
    Leaving a `with` block stops the run and waits for it.
    """

    def __init__(self, config, max_frames=-1, results=True, queue_depth=8):
        if isinstance(config, dict):
            self._r = _percept._Runtime(_json.dumps(config), False, max_frames, results,
                                        queue_depth)
        else:
            self._r = _percept._Runtime(_os.fspath(config), True, max_frames, results,
                                        queue_depth)

    def start(self):
        self._r.start()
        return self

    def stop(self):
        self._r.stop()

    def wait(self):
        return self._r.wait()

    def run(self, callback):
        """Calls callback(frame_result) for each frame, then returns the summary."""
        for f in self:
            callback(f)
        return self._r.wait()

    def __iter__(self):
        return self

    def __next__(self):
        return self._r.next()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self._r.close()
        return False

    summary = property(lambda self: self._r.summary,
                       doc="The run's summary (a dict, as summary.json), None until it ends.")
    cameras = property(lambda self: self._r.cameras, doc="Camera ids, in config order.")
    models = property(lambda self: self._r.models, doc="Model ids, in config order.")
