// The detect task: a YOLO-family model (Ultralytics v8/11/12, v5/v7, end-to-end exports) on
// the Task skeleton: letterbox -> inference -> decode + NMS -> boxes in frame pixels.
//
// Conventions come, in order, from the TaskConfig's conventions (config or CLI), the sidecar,
// the model's ONNX metadata (Ultralytics' names / imgsz), the tensor shapes. What cannot be
// resolved is an error that says which key to set. When the model runs on CUDA device 0 and
// the build has CUDA, frames are letterboxed on the GPU on the executor's stream.
#pragma once

#include <memory>

#include "percept/infer/model_conventions.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

// Options read: conf (0.25), iou (0.45), max_det, class_agnostic; conventions: layout, labels,
// input_size, color/mean/std. Throws percept::Error naming the model and the tensor when the
// model is not a detector percept can feed.
std::unique_ptr<Task> make_detect_task(const TaskContext& ctx, const TaskConfig& config,
                                       const ModelConventions& conventions);

// YOLOv8/v11-seg instance segmentation: output0 [B, 4+nc+nm, N] (v8 layout, nm coefficients
// after the class scores), prototypes output1 [B, nm, mh, mw]. The detect task's options, plus
// mask_threshold (0.5). Fills detections and one mask per detection at frame resolution
// (ModelOutput::masks). Throws percept::Error naming the model and the tensor.
std::unique_ptr<Task> make_instance_segment_task(const TaskContext& ctx, const TaskConfig& config,
                                                 const ModelConventions& conventions);

// YOLOv8/11-pose: output0 [B, 4+nc+K*D, N] (v8 layout, keypoints decoded in the graph as
// Ultralytics exports them: x, y in input pixels, visibility after a sigmoid when D = 3), with
// kpt_shape [K, D] in the metadata. The detect task's options. Fills detections and K keypoints
// per detection in frame pixels (ModelOutput::keypoints). Throws percept::Error naming the
// model and the tensor (no kpt_shape, or one that disagrees with the channel count).
std::unique_ptr<Task> make_pose_task(const TaskContext& ctx, const TaskConfig& config,
                                     const ModelConventions& conventions);

}  // namespace percept
