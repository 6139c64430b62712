// The face task: MediaPipe BlazeFace (front 128x128 or back 256x256), running
// letterbox -> inference -> anchor decode + weighted NMS -> faces in frame pixels.
//
// Conventions are MediaPipe's face_detection graphs (face_detection_short_range.pbtxt and
// face_detection_back.pbtxt): keep-aspect letterbox, centred, black border; RGB in [-1, 1];
// 896 SSD anchors of fixed size 1; regressors [dx, dy, w, h, kx0, ky0, ... kx5, ky5] in input
// pixels relative to the anchor centre; sigmoid scores with logits clipped to +-100; weighted
// NMS (IoU, threshold 0.3). docs/FACE.md has the model's tensors and the sources.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "percept/core/face.hpp"
#include "percept/core/image.hpp"
#include "percept/infer/model_metadata.hpp"
#include "percept/tasks/face/anchors.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

// Turns one image's raw outputs into face candidates in network-input pixels, appended to
// `out` in anchor order. logits: [N]; regressors: [N, 16] row-major; anchors: N of them.
// A candidate needs sigmoid(clamp(logit, -score_clipping, +score_clipping)) >= conf.
// Non-finite logits or boxes are skipped. Allocates only when `out` grows.
void decode_blazeface(std::span<const float> logits, std::span<const float> regressors,
                      std::span<const Anchor> anchors, InputSize input, float conf,
                      float score_clipping, Faces& out);

// Buffers weighted_nms reuses between calls, so that steady-state NMS does not allocate.
struct WeightedNmsScratch {
  std::vector<uint32_t> remaining;
  std::vector<uint32_t> next;
};

// MediaPipe's NonMaxSuppressionCalculator with algorithm WEIGHTED and overlap_type
// INTERSECTION_OVER_UNION: take the best remaining candidate, cluster every remaining candidate
// whose IoU with it is > iou_threshold (strictly, as MediaPipe; the best one is in its own
// cluster), and output the score-weighted mean of the cluster's box corners and keypoints with
// the best one's score. Repeats until no candidate is left or max_faces are out. Ties in score
// keep input order, so the result is deterministic. `out` is cleared first.
void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out, WeightedNmsScratch& scratch);
// The same with a scratch of its own (allocates every call: tests, one-off use).
void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out);

// The face task on the Task skeleton. Options read: conf (0.75; MediaPipe's graphs use 0.5,
// keijiro's Unity port 0.75), iou (0.3, MediaPipe's weighted NMS clustering threshold),
// max_det (faces per frame, best first). Throws percept::Error naming the model and the tensor
// when they are not a BlazeFace's: one float32 image input [1, S, S, 3] (NHWC, the barracuda
// export) or [1, 3, S, S] with S 128 (front anchors) or 256 (back anchors), and score
// [1, n, 1] + regressor [1, n, 16] outputs, whole or split per feature map.
//
// The model is fixed at batch 1, so frames run one by one. Boxes are clipped to the frame;
// keypoints are not (an ear may lie outside it). No heap allocation once warm.
std::unique_ptr<Task> make_face_task(const TaskContext& ctx, const TaskConfig& config,
                                     const ModelConventions& conventions);

}  // namespace percept
