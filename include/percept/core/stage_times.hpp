// Wall time of each stage of one task call (detect, depth, segment, classify, face).
#pragma once

#include <cstdint>

namespace percept {

// Nanoseconds spent in each stage of one call (one batch).
struct StageTimes {
  int64_t preprocess_ns = 0;
  int64_t inference_ns = 0;
  int64_t postprocess_ns = 0;
};

}  // namespace percept
