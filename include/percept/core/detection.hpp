// Detection results, in the pixel coordinates of the frame they came from.
#pragma once

#include <array>
#include <cstdint>
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

  // Filled by the tracker (track/byte_tracker.hpp) when the model has `tracker:`.
  int64_t track_id = 0;                  // >= 1 on a confirmed track, 0: not tracked
  std::array<float, 2> velocity_px_s{};  // box centre, pixels per second (when track_id)
  // Filled by the fuser when the camera has intrinsics and a metric depth model serves it.
  bool has_position = false;
  std::array<float, 3> position_m{};  // camera optical frame: x right, y down, z forward
  std::array<float, 2> size_m{};      // box width and height at that depth
  bool has_velocity_m_s = false;      // tracked, with a 3D history
  std::array<float, 3> velocity_m_s{};
};

using Detections = std::vector<Detection>;

}  // namespace percept
