// Keypoints per detection (YOLO pose), in the pixels of the frame the detections came from.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace percept {

// v: visibility in [0, 1] (the model's sigmoid; 1 when the model gives none, D = 2; 0 for a
// point the model gave no finite position for).
struct Keypoint {
  float x = 0, y = 0, v = 0;
};

// `per_detection` points for each detection: detection i owns points[i * per_detection, ...).
// Kept in one buffer so that pooled frames reuse it; ModelOutput::retain_detections moves the
// points of kept detections down with them.
struct DetectionKeypoints {
  int per_detection = 0;
  std::vector<Keypoint> points;

  void clear() {
    per_detection = 0;
    points.clear();
  }
  size_t detections() const {
    return per_detection > 0 ? points.size() / static_cast<size_t>(per_detection) : 0;
  }
  std::span<const Keypoint> of(size_t i) const {
    return {points.data() + i * static_cast<size_t>(per_detection),
            static_cast<size_t>(per_detection)};
  }
};

}  // namespace percept
