#!/usr/bin/python3
"""Writes the hostile ONNX models of tests/hostile (committed next to this script).

Run from anywhere: /usr/bin/python3 tests/hostile/make_hostile_models.py
Needs Debian's python3-onnx and python3-numpy. Deterministic: the output is the same each run.
Each model is tiny and is wrong in one way a real export can be:

- nan_v8.onnx        YOLOv8 [1, 6, 7] detector (input [1,3,64,64]) whose boxes and scores hold
                     NaN, +Inf and -Inf beside one sane anchor: no NaN box may come out.
- ambiguous_layout.onnx [1, 6, 6] with 2 classes: six v8 anchors or six end2end boxes.
- nan_e2e.onnx       end2end [1, 5, 6] with NaN / Inf coordinates, NaN score and NaN class id.
- bad_class_e2e.onnx end2end with class ids 7 (beyond the 2 labels), -3 and 1e12.
- nan_depth.onnx     depth [batch, 8, 12] where a third of the pixels are NaN, +Inf or -Inf.
- nan_classify.onnx  logits [batch, 3] = [NaN, Inf, 1].
- rank5_out.onnx     detector whose output has rank 5.
- two_outputs.onnx   image model with two outputs of unrelated shapes, no metadata.
- nhwc_input.onnx    input [1, 64, 64, 3] (channels last), output a v8 tensor.
- symbolic_hw.onnx   input [batch, 3, h, w] with no imgsz metadata.
- uint8_input.onnx   input uint8 [1, 3, 64, 64].
- rank2_input.onnx   input float [1, 12288].
- huge_dims.onnx     input declared [1, 3, 200000, 200000] (absurd: 480 GB as float).
- zero_dims.onnx     input declared [1, 3, 0, 0].
- bad_meta.onnx      a v8 detector whose metadata is garbage: names "{0: 'a', 5: ", imgsz "[-1, 1e99]".
- nan_seg.onnx       YOLOv8-seg (2 classes, nm 2, prototypes [1, 2, 16, 16]): one sane instance,
                     NaN and infinite mask coefficients, a box wholly in the letterbox padding of
                     a 64x32 frame, and 300 overlapping instances.
- seg_protos_rank3.onnx  prototypes output [1, 2, 256] (rank 3).
- seg_protos_stride.onnx prototypes [1, 2, 7, 7]: no integer stride of the 64x64 input.
- seg_nc_mismatch.onnx   output0 [1, 4+3+2, 1] for a model that names 2 classes (nm 2).
- nan_pose.onnx      YOLOv8-pose, kpt_shape [2, 3]: a sane instance, NaN keypoints, keypoints far
                     outside the frame, a NaN visibility.
- pose_kpt_mismatch.onnx the same output with kpt_shape [3, 3] (15 channels, 4+2+6 = 12 present).
- pose_no_kpt_shape.onnx the same output, metadata task pose without kpt_shape.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 13)]
META = {"task": "detect", "imgsz": "[64, 64]", "names": "{0: 'cat', 1: 'dog'}"}
NAN, INF = float("nan"), float("inf")


def save(model, name, meta=None):
    for k, v in (meta or {}).items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def const_model(name, value, meta, in_shape=(1, 3, 64, 64), in_name="images",
                in_type=TensorProto.FLOAT):
    """input -> output0 = value (the input feeds a 0-weight term so it is not folded away)."""
    value = np.asarray(value, dtype=np.float32)
    x = helper.make_tensor_value_info(in_name, in_type, list(in_shape))
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(value.shape))
    nodes = []
    src = in_name
    if in_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", [in_name], ["xf"], to=TensorProto.FLOAT))
        src = "xf"
    nodes += [
        helper.make_node("ReduceSum", [src], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["const", "z"], ["output0"]),
    ]
    inits = [numpy_helper.from_array(value, "const"),
             numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")]
    g = helper.make_graph(nodes, name, [x], [out], initializer=inits)
    save(helper.make_model(g, opset_imports=OPSET), name + ".onnx", meta)


def seg_model(name, out0, protos, meta):
    """input -> (output0, output1) = constants, for instance-segmentation heads."""
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])
    outs, nodes, inits = [], [helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
                              helper.make_node("Mul", ["s", "zero"], ["z"])], []
    for i, v in enumerate((out0, protos)):
        v = np.asarray(v, np.float32)
        outs.append(helper.make_tensor_value_info("output%d" % i, TensorProto.FLOAT, list(v.shape)))
        nodes.append(helper.make_node("Add", ["c%d" % i, "z"], ["output%d" % i]))
        inits.append(numpy_helper.from_array(v, "c%d" % i))
    inits.append(numpy_helper.from_array(np.array(0, dtype=np.float32), "zero"))
    g = helper.make_graph(nodes, name, [x], outs, initializer=inits)
    save(helper.make_model(g, opset_imports=OPSET), name + ".onnx", meta)


def dense_times(name, pattern, out_dims, reduce_axes):
    """image [batch,3,8,12] -> mean over reduce_axes, times a constant holding NaN/Inf."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 8, 12])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch"] + out_dims)
    nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=reduce_axes, keepdims=0),
             helper.make_node("Add", ["m", "pat"], ["out"])]
    inits = [numpy_helper.from_array(np.asarray(pattern, np.float32), "pat")]
    g = helper.make_graph(nodes, name, [image], [out], initializer=inits)
    meta = {"task": name.split("_")[1]}
    save(helper.make_model(g, opset_imports=OPSET), name + ".onnx", meta)


def main():
    v8 = np.zeros((1, 6, 7), np.float32)
    v8[0, :, 0] = [20, 20, 10, 10, 0.9, 0.1]      # the one sane detection
    v8[0, :, 1] = [NAN, 20, 10, 10, 0.8, 0.1]     # NaN centre
    v8[0, :, 2] = [30, 30, INF, 10, 0.8, 0.1]     # infinite width
    v8[0, :, 3] = [30, 30, 10, -INF, 0.1, 0.8]    # -inf height
    v8[0, :, 4] = [40, 40, 10, 10, NAN, NAN]      # NaN scores
    v8[0, :, 5] = [50, 50, 10, 10, INF, 0.1]      # infinite score
    v8[0, :, 6] = [1e30, 1e30, 1e30, 1e30, 0.9, 0.1]  # finite but far outside the image
    const_model("nan_v8", v8, META)
    const_model("ambiguous_layout", v8[:, :, :6], META)
    e2e = np.array([[[15, 15, 25, 25, 0.9, 0], [NAN, 0, 10, 10, 0.9, 1], [0, 0, INF, 10, 0.9, 1],
                     [5, 5, 9, 9, NAN, 0], [30, 30, 40, 40, 0.9, NAN]]], np.float32)
    const_model("nan_e2e", e2e, META)
    bad = np.array([[[15, 15, 25, 25, 0.9, 7], [30, 30, 40, 40, 0.8, -3],
                     [44, 22, 56, 42, 0.7, 1e12]]], np.float32)
    const_model("bad_class_e2e", bad, META)
    pat = np.ones((8, 12), np.float32)
    pat[0, :] = NAN
    pat[1, :] = INF
    pat[2, :6] = -INF
    dense_times("nan_depth", pat, [8, 12], [1])
    dense_times("nan_classify", [NAN, INF, 1.0], [3], [2, 3])
    const_model("rank5_out", np.zeros((1, 2, 3, 4, 5), np.float32), META)
    # Two outputs, no metadata.
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])
    o1 = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3, 64, 64])
    o2 = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 3, 64, 64])
    g = helper.make_graph([helper.make_node("Identity", ["images"], ["a"]),
                           helper.make_node("Neg", ["images"], ["b"])], "two_out", [x], [o1, o2])
    save(helper.make_model(g, opset_imports=OPSET), "two_outputs.onnx")
    v8ok = np.zeros((1, 6, 1), np.float32)
    v8ok[0, :, 0] = [20, 20, 10, 10, 0.9, 0.1]
    const_model("nhwc_input", v8ok, META, in_shape=(1, 64, 64, 3))
    const_model("symbolic_hw", v8ok, {"task": "detect"}, in_shape=("batch", 3, "h", "w"))
    const_model("uint8_input", v8ok, META, in_type=TensorProto.UINT8)
    const_model("rank2_input", v8ok, META, in_shape=(1, 12288))
    const_model("huge_dims", v8ok, {"task": "detect"}, in_shape=(1, 3, 200000, 200000))
    const_model("zero_dims", v8ok, {"task": "detect"}, in_shape=(1, 3, 0, 0))
    const_model("bad_meta", v8ok, {"task": "detect", "names": "{0: 'a', 5: ",
                                   "imgsz": "[-1, 1e99]"})

    seg_meta = dict(META, task="segment")
    seg = np.zeros((1, 8, 304), np.float32)
    seg[0, :, 0] = [20, 30, 10, 10, 0.9, 0.1, 1, 0]            # sane: proto 0, the whole box
    seg[0, :, 1] = [45, 40, 8, 8, 0.8, 0.1, NAN, NAN]          # NaN coefficients
    seg[0, :, 2] = [30, 5, 8, 6, 0.9, 0.1, 1, 0]               # wholly in the padding (64x32)
    seg[0, :, 3] = [10, 40, 8, 8, 0.7, 0.1, INF, -INF]         # infinite coefficients
    for k in range(300):                                      # 300 overlapping instances
        seg[0, :, 4 + k] = [40 + k * 0.01, 35, 12, 10, 0.1, 0.5, 0, 1]
    protos = np.ones((1, 2, 16, 16), np.float32)
    protos[0, 1] = np.where((np.arange(16)[:, None] + np.arange(16)[None]) % 2, 1.0, -1.0)
    seg_model("nan_seg", seg, protos, seg_meta)
    seg_model("seg_protos_rank3", seg, protos.reshape(1, 2, 256), seg_meta)
    seg_model("seg_protos_stride", seg, np.ones((1, 2, 7, 7), np.float32), seg_meta)
    seg_model("seg_nc_mismatch", np.zeros((1, 9, 1), np.float32), protos, seg_meta)

    pose_meta = dict(META, task="pose", kpt_shape="[2, 3]")
    pose = np.zeros((1, 12, 3), np.float32)                      # 4 + 2 classes + 2 * 3
    pose[0, :, 0] = [20, 30, 10, 10, 0.9, 0.1, 18, 28, 0.9, 24, 33, 0.2]  # sane
    pose[0, :, 1] = [45, 40, 8, 8, 0.8, 0.1, NAN, 40, 0.9, INF, 40, 0.9]  # non-finite x
    pose[0, :, 2] = [10, 40, 8, 8, 0.1, 0.7, 1e6, -1e6, NAN, 12, 41, 5.0]  # far out, NaN/5 vis
    const_model("nan_pose", pose, pose_meta)
    const_model("pose_kpt_mismatch", pose, dict(pose_meta, kpt_shape="[3, 3]"))
    const_model("pose_no_kpt_shape", pose, dict(META, task="pose"))


if __name__ == "__main__":
    main()
