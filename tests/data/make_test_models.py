#!/usr/bin/python3
"""Writes the tiny hand-made ONNX models the unit tests load (committed next to this script).

Run from anywhere: /usr/bin/python3 tests/data/make_test_models.py
Needs Debian's python3-onnx and python3-numpy. Deterministic: the output is the same each run.

- identity_dynamic.onnx  x float32 [batch, 3, 4, 4] -> y (Identity): backend I/O and shape checks.
- flatten_free_dim.onnx  x float32 [batch, 3, h, w] -> y [batch, chw] (Flatten): an output
                         dimension no input names, so IO binding lets ONNX Runtime allocate it.
- wrong_declared_shape.onnx  x [batch, 3, 4, 4] -> y = Concat(x, x) declared [batch, 3, 4, 4]
                         (really [2 batch, ...]): a buffer sized from the graph is refused.
- gather_columns.onnx  x float32 [batch, 4], idx int64 [1] -> y = x[:, idx] [batch, 1] (Gather):
                         an index out of range fails inside ONNX Runtime, at run time.
- slice_columns.onnx   x float32 [batch, 4], end int64 [1] -> y = x[:, :end] declared [batch, 4]
                         (Slice): with end < 4 ONNX Runtime refuses a buffer kept for [batch, 4].
- two_inputs.onnx        a, b float32 [1, 4] -> sum: a model the detect task must refuse.
- int64_input.onnx       ids int64 [1, 8] -> same: dtype mismatch errors.
- const_v8.onnx, const_v5.onnx, const_e2e.onnx: "detectors" with input images [1, 3, 64, 64] whose
  output is a constant tensor in each YOLO layout, with Ultralytics-style metadata, so the whole
  detect path (letterbox geometry, decode, NMS, mapping back) can be checked against numbers
  computed by hand in tests/tasks/detector_test.cpp.
- dense_*.onnx: image [batch, 3, 8, 12] "models" for the depth / segment / classify tasks and the
  task inference of tests/tasks/dense_task_test.cpp. They compute from the normalised input, so
  tests can check colour order, mean/std and the mapping back to frame pixels:
    dense_classify.onnx  logits [batch, 3]: per-channel mean (R, G, B), no metadata
    dense_segment.onnx   logits [batch, 3, 8, 12]: the input itself (class = strongest channel)
    dense_depth.onnx     depth [batch, 8, 12]: mean over channels, no metadata
    dense_mask.onnx      out [batch, 1, 8, 12]: mean over channels, no metadata (ambiguous:
                         a depth map or a binary mask)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 13)]


def save(model, name, meta=None):
    for k, v in (meta or {}).items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def identity():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 4, 4])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity", [x], [y])
    save(helper.make_model(g, opset_imports=OPSET), "identity_dynamic.onnx")


def flatten_free_dim():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "chw"])
    g = helper.make_graph([helper.make_node("Flatten", ["x"], ["y"], axis=1)], "flatten", [x], [y])
    save(helper.make_model(g, opset_imports=OPSET), "flatten_free_dim.onnx")


def wrong_declared_shape():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 4, 4])
    g = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["y"], axis=0)], "wrong", [x], [y])
    save(helper.make_model(g, opset_imports=OPSET), "wrong_declared_shape.onnx")


def gather_columns():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    idx = helper.make_tensor_value_info("idx", TensorProto.INT64, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])
    g = helper.make_graph([helper.make_node("Gather", ["x", "idx"], ["y"], axis=1)], "gather",
                          [x, idx], [y])
    save(helper.make_model(g, opset_imports=OPSET), "gather_columns.onnx")


def slice_columns():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    end = helper.make_tensor_value_info("end", TensorProto.INT64, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    start = numpy_helper.from_array(np.array([0], np.int64), "start")
    axis = numpy_helper.from_array(np.array([1], np.int64), "axis")
    g = helper.make_graph([helper.make_node("Slice", ["x", "start", "end", "axis"], ["y"])],
                          "slice", [x, end], [y], initializer=[start, axis])
    save(helper.make_model(g, opset_imports=OPSET), "slice_columns.onnx")


def two_inputs():
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4])
    s = helper.make_tensor_value_info("sum", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["sum"])], "two", [a, b], [s])
    save(helper.make_model(g, opset_imports=OPSET), "two_inputs.onnx")


def int64_input():
    a = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 8])
    b = helper.make_tensor_value_info("out", TensorProto.INT64, [1, 8])
    g = helper.make_graph([helper.make_node("Identity", ["ids"], ["out"])], "ids", [a], [b])
    save(helper.make_model(g, opset_imports=OPSET), "int64_input.onnx")


def const_detector(name, value, meta):
    """images [1,3,64,64] -> output0 = value (the input only feeds a 0-weight term, so the
    graph depends on it and ONNX Runtime cannot fold the input away)."""
    value = np.asarray(value, dtype=np.float32)
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(value.shape))
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["const", "z"], ["output0"]),
    ]
    inits = [numpy_helper.from_array(value, "const"),
             numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")]
    g = helper.make_graph(nodes, name, [images], [out], initializer=inits)
    save(helper.make_model(g, opset_imports=OPSET), name + ".onnx", meta)


def dense(name, nodes, out_shape, meta=None):
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 8, 12])
    out = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, out_shape)
    g = helper.make_graph(nodes, name, [image], [out])
    save(helper.make_model(g, opset_imports=OPSET), name + ".onnx", meta)


def dense_models():
    mean = lambda axes, keep, out: helper.make_node(  # noqa: E731
        "ReduceMean", ["image"], [out], axes=axes, keepdims=keep)
    dense("dense_classify", [mean([2, 3], 0, "logits")], ["batch", 3])
    dense("dense_segment", [helper.make_node("Identity", ["image"], ["logits"])],
          ["batch", 3, 8, 12])
    dense("dense_depth", [mean([1], 0, "depth")], ["batch", 8, 12])
    dense("dense_mask", [mean([1], 1, "out")], ["batch", 1, 8, 12])


META = {"task": "detect", "imgsz": "[64, 64]", "names": "{0: 'cat', 1: 'dog'}",
        "stride": "32", "author": "percept tests"}


def main():
    identity()
    flatten_free_dim()
    wrong_declared_shape()
    gather_columns()
    slice_columns()
    two_inputs()
    int64_input()
    dense_models()
    # v8: [1, 4+2, 5] anchors: cx, cy, w, h rows then class scores, in 64x64 input pixels.
    v8 = np.zeros((1, 6, 5), np.float32)
    v8[0, :, 0] = [20, 20, 10, 10, 0.9, 0.1]   # cat 0.9 at (15,15)-(25,25)
    v8[0, :, 1] = [21, 21, 10, 10, 0.8, 0.1]   # cat 0.8 overlapping -> suppressed by NMS
    v8[0, :, 2] = [21, 21, 10, 10, 0.1, 0.7]   # dog 0.7 same place -> kept (class-aware)
    v8[0, :, 3] = [40, 40, 8, 8, 0.2, 0.1]     # below threshold 0.25
    v8[0, :, 4] = [50, 32, 12, 20, 0.05, 0.6]  # dog 0.6 at (44,22)-(56,42)
    const_detector("const_v8", v8, META)
    # v5: [1, 4, 5+2]: cx, cy, w, h, objectness, class scores; score = obj * cls.
    v5 = np.array([[[20, 20, 10, 10, 0.9, 1.0, 0.0],     # cat 0.9
                    [21, 21, 10, 10, 0.9, 0.85, 0.1],    # cat 0.765 -> suppressed
                    [50, 32, 12, 20, 0.8, 0.2, 0.75],    # dog 0.6
                    [40, 40, 8, 8, 0.2, 1.0, 0.0]]],     # obj 0.2 < 0.25
                  np.float32)
    const_detector("const_v5", v5, META)
    # end2end: [1, 3, 6] x1 y1 x2 y2 score class, NMS already done.
    e2e = np.array([[[15, 15, 25, 25, 0.9, 0], [44, 22, 56, 42, 0.6, 1],
                     [0, 0, 4, 4, 0.1, 1]]], np.float32)
    const_detector("const_e2e", e2e, META)


if __name__ == "__main__":
    main()
