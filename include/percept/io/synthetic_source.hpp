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
  // Shapes leave the frame instead of bouncing, stay away for a while and come back from an
  // edge as new objects (a new id): the tracking sequences (docs/TRACKING.md).
  bool wander = false;
};

struct SyntheticObject {
  int id;          // stable while the object stays in view (a wanderer coming back: a new id)
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
  // For each object of the last frame (as objects()), the fraction of its shape that is seen:
  // not hidden by nearer shapes, not outside the frame.
  std::vector<float> visibility();
  int64_t frame_index() const { return index_ - 1; }

 private:
  struct Mover {
    int id;
    int away = 0;  // wander: frames left outside the frame
    int class_id;
    double x, y, vx, vy, radius, angle, spin, distance;
    uint8_t b, g, r;
  };
  SyntheticOptions opt_;
  std::vector<uint8_t> background_;
  std::vector<Mover> movers_;
  std::vector<SyntheticObject> truth_;
  std::vector<size_t> drawn_;  // mover of each truth_ entry
  uint64_t rng_state_ = 0;     // wander: where and how a shape comes back
  int next_id_ = 0;
  std::vector<std::vector<cv::Point>> polygons_;  // last frame's, 1/16 px, for depth_map()
  std::vector<float> depth_;
  bool depth_valid_ = false;
  int64_t index_ = 0;
};

}  // namespace percept
