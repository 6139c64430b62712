// A procedural camera: coloured shapes (the classes of the trained test detector: circle,
// square, triangle, star, cross) moving and bouncing over a textured background, with exact
// ground truth for every frame: boxes, classes and each shape's distance. The test workhorse
// for the pipeline: deterministic for a seed, any size, any rate, endless or N frames.
#pragma once

#include <cstdint>
#include <opencv2/core/types.hpp>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"

namespace percept {

struct SyntheticOptions {
  int width = 640;
  int height = 480;
  int objects = 4;  // moving shapes
  uint64_t seed = 1;
  int64_t frames = -1;  // -1: endless
};

struct SyntheticObject {
  Box box;         // tight box, frame pixels, clipped
  int class_id;    // 0 circle, 1 square, 2 triangle, 3 star, 4 cross
  float distance;  // metres from the camera (also what depth_map() holds inside the shape)
};

class SyntheticScene {
 public:
  explicit SyntheticScene(const SyntheticOptions& opt);

  // Renders the next frame into `frame` (bgr8, buffer reused). False after `frames` frames.
  bool next(Image& frame);
  // Ground truth of the last frame rendered.
  const std::vector<SyntheticObject>& objects() const { return truth_; }
  // Metric depth of the last frame, width x height, row-major: a floor-like gradient from
  // 12 m (top) to 2 m (bottom) with each shape at its own distance. Rendered on first use,
  // so cameras that never ask for it do not pay for it.
  const std::vector<float>& depth_map();
  int64_t frame_index() const { return index_ - 1; }

 private:
  struct Mover {
    int class_id;
    double x, y, vx, vy, radius, angle, spin, distance;
    uint8_t b, g, r;
  };
  SyntheticOptions opt_;
  std::vector<uint8_t> background_;
  std::vector<Mover> movers_;
  std::vector<SyntheticObject> truth_;
  std::vector<std::vector<cv::Point>> polygons_;  // last frame's, 1/16 px, for depth_map()
  std::vector<float> depth_;
  bool depth_valid_ = false;
  int64_t index_ = 0;
};

}  // namespace percept
