// Tracking accuracy from their definitions: CLEAR-MOT (Bernardin & Stiefelhagen, "Evaluating
// Multiple Object Tracking Performance: The CLEAR MOT Metrics", 2008) and IDF1 (Ristani et al.,
// "Performance Measures and a Data Set for Multi-Target, Multi-Camera Tracking", 2016), with a
// ground-truth box matched by a hypothesis at IoU >= 0.5.
//
// Per frame, a ground-truth object keeps the hypothesis it was matched to in the previous
// frame when they still overlap enough; the rest are matched by minimum 1 - IoU. A ground-truth
// object matched to a hypothesis id other than the last one it was matched to is an identity
// switch. Ground truth marked `ignore` (hardly visible) is neither a miss when unmatched nor
// makes its hypothesis a false positive when matched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "percept/core/detection.hpp"

namespace percept::eval {

struct TrackBox {
  int64_t id;
  Box box;
  bool ignore = false;  // ground truth only
};

struct MotFrame {
  std::vector<TrackBox> truth, hypotheses;
};

struct MotResult {
  size_t gt = 0, tp = 0, fp = 0, fn = 0, id_switches = 0;
  double mota = 0;
  double idtp = 0, idf1 = 0;
  size_t hyp = 0;  // hypotheses counted (those on ignored ground truth are not)
};

MotResult evaluate_mot(const std::vector<MotFrame>& frames);

}  // namespace percept::eval
