// Greedy non-maximum suppression, as torchvision.ops.batched_nms and cv::dnn::NMSBoxes do.
#pragma once

#include "percept/core/detection.hpp"

namespace percept {

struct NmsOptions {
  float iou_threshold = 0.45f;  // a box overlapping a kept one by more than this is dropped
  int max_detections = 300;     // keep at most this many (highest scores first)
  bool class_agnostic = false;  // false: only boxes of the same class suppress each other
};

// Sorts `dets` by descending score and removes suppressed boxes in place. Ties keep input
// order, so the result is deterministic. No allocation beyond what `dets` already holds.
void nms_inplace(Detections& dets, const NmsOptions& opt);

}  // namespace percept
