// Greedy non-maximum suppression, as torchvision.ops.batched_nms and cv::dnn::NMSBoxes do.
#pragma once

#include <cstdint>
#include <vector>

#include "percept/core/detection.hpp"

namespace percept {

struct NmsOptions {
  float iou_threshold = 0.45f;  // a box overlapping a kept one by more than this is dropped
  int max_detections = 300;     // keep at most this many (highest scores first)
  bool class_agnostic = false;  // false: only boxes of the same class suppress each other
};

// Buffers nms_inplace reuses between calls, so that steady-state NMS does not allocate.
struct NmsScratch {
  std::vector<uint32_t> order;
  std::vector<uint32_t> keep;
  Detections kept;
};

// The indices into `dets` of the boxes NMS keeps, in output order (descending score, ties in
// input order), into `keep`; `dets` is not changed. For callers that keep data per candidate
// beside the boxes (mask coefficients, keypoints). Allocates only while buffers grow.
void nms_keep(const Detections& dets, const NmsOptions& opt, NmsScratch& scratch,
              std::vector<uint32_t>& keep);

// Sorts `dets` by descending score and removes suppressed boxes. Ties keep input order, so
// the result is deterministic. Allocates only while the scratch buffers grow.
void nms_inplace(Detections& dets, const NmsOptions& opt, NmsScratch& scratch);
// The same with a scratch of its own (allocates every call: tests, one-off use).
void nms_inplace(Detections& dets, const NmsOptions& opt);

}  // namespace percept
