// A per-pixel class map in a frame's own pixels, with the fraction of pixels of each class.
#pragma once

#include <cstdint>
#include <vector>

namespace percept {

// Class ids fit a byte: percept refuses segmentation models with more than 256 classes.
struct SegmentationMap {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> classes;  // width x height, row-major
  std::vector<float> fractions;  // [class id] = share of the frame's pixels; sums to 1
};

}  // namespace percept
