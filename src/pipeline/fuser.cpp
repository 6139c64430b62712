#include "percept/pipeline/fuser.hpp"

#include <algorithm>
#include <cmath>

namespace percept {

Result<DistanceStat> parse_distance_stat(const std::string& s) {
  if (s == "median") return DistanceStat::median;
  if (s == "mean") return DistanceStat::mean;
  if (s == "min") return DistanceStat::min;
  if (s == "p10") return DistanceStat::p10;
  return Error("unknown distance statistic '" + s + "' (expected median, mean, min or p10)");
}

void fuse_distances(Detections& dets, const DepthMap& depth, DistanceStat stat,
                    std::vector<float>& scratch) {
  for (Detection& d : dets) {
    const int x1 = std::clamp(static_cast<int>(std::floor(d.box.x1)), 0, depth.width);
    const int y1 = std::clamp(static_cast<int>(std::floor(d.box.y1)), 0, depth.height);
    const int x2 = std::clamp(static_cast<int>(std::ceil(d.box.x2)), 0, depth.width);
    const int y2 = std::clamp(static_cast<int>(std::ceil(d.box.y2)), 0, depth.height);
    scratch.clear();
    for (int y = y1; y < y2; ++y) {
      const float* row = depth.values.data() + static_cast<size_t>(y) * depth.width;
      for (int x = x1; x < x2; ++x)
        if (std::isfinite(row[x])) scratch.push_back(row[x]);
    }
    d.distance = Detection::kNoDistance;
    if (scratch.empty()) continue;
    switch (stat) {
      case DistanceStat::min:
        d.distance = *std::min_element(scratch.begin(), scratch.end());
        break;
      case DistanceStat::mean: {
        double sum = 0;
        for (float v : scratch) sum += v;
        d.distance = static_cast<float>(sum / static_cast<double>(scratch.size()));
        break;
      }
      case DistanceStat::median:
      case DistanceStat::p10: {
        const double q = stat == DistanceStat::median ? 0.5 : 0.1;
        auto k = static_cast<size_t>(q * static_cast<double>(scratch.size() - 1));
        std::nth_element(scratch.begin(), scratch.begin() + static_cast<ptrdiff_t>(k),
                         scratch.end());
        d.distance = scratch[k];
        break;
      }
    }
  }
}

}  // namespace percept
