// A dense depth map in a frame's own pixels, and its summary statistics.
#pragma once

#include <vector>

namespace percept {

enum class DepthUnit {
  metres,    // metric depth along the optical axis
  relative,  // relative inverse depth (MiDaS, Depth Anything): larger is nearer, no scale
};
const char* depth_unit_name(DepthUnit u);  // "m" | "relative"

// width x height floats, row-major. Values that are not finite mark pixels without depth.
struct DepthMap {
  int width = 0;
  int height = 0;
  std::vector<float> values;
  DepthUnit unit = DepthUnit::metres;
};

struct DepthStats {
  float min = 0, max = 0, mean = 0;
  size_t valid = 0;  // finite values
};
DepthStats depth_stats(const DepthMap& d);

}  // namespace percept
