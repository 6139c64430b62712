// Detection results, in the pixel coordinates of the frame they came from.
#pragma once

#include <vector>

namespace percept {

// Axis-aligned box, corners in pixels: x1 <= x2, y1 <= y2, (x2, y2) is the far edge.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.f; }
};

float iou(const Box& a, const Box& b);

struct Detection {
  Box box;
  float score = 0;
  int class_id = 0;
  float distance = kNoDistance;  // filled by the fuser when a depth model serves the camera
  static constexpr float kNoDistance = -1.f;
};

using Detections = std::vector<Detection>;

}  // namespace percept
