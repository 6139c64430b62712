#include "percept/pipeline/fuser.hpp"

#include <algorithm>
#include <cmath>

namespace percept {

Result<DistanceStat> parse_distance_stat(const std::string& s) {
  if (s == "median") return DistanceStat::median;
  if (s == "mean") return DistanceStat::mean;
  if (s == "min") return DistanceStat::min;
  if (s == "p10") return DistanceStat::p10;
  if (s == "cluster") return DistanceStat::cluster;
  return Error("unknown distance statistic '" + s +
               "' (expected median, mean, min, p10 or cluster)");
}

namespace {

// The median of the values in the densest 2%-wide (in log depth) band, widened by one bin on
// each side. A flat-fronted object is one tight cluster; a floor or wall behind it spreads over
// many bins, so the object wins even when it covers well under half the box.
float densest_cluster(std::vector<float>& v) {
  constexpr int kMaxBins = 256;
  const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
  const float lo = *lo_it, hi = *hi_it;
  if (!(lo > 0) || hi / lo < 1.02f) {  // one cluster already (or non-positive depths)
    auto k = (v.size() - 1) / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
    return v[k];
  }
  const double width = std::log(1.02);
  const double span = std::log(static_cast<double>(hi) / lo);
  const int bins = std::min(kMaxBins, static_cast<int>(std::ceil(span / width)) + 1);
  const double scale = (bins - 1) / span;
  int count[kMaxBins] = {};
  for (float x : v) ++count[static_cast<int>(std::log(x / lo) * scale)];
  int best = 0, best_n = -1;
  for (int b = 0; b < bins; ++b) {
    const int n = count[b] + (b > 0 ? count[b - 1] : 0) + (b + 1 < bins ? count[b + 1] : 0);
    if (n > best_n) best = b, best_n = n;
  }
  const float band_lo = lo * static_cast<float>(std::exp((best - 1) / scale));
  const float band_hi = lo * static_cast<float>(std::exp((best + 2) / scale));
  auto mid =
      std::partition(v.begin(), v.end(), [&](float x) { return x >= band_lo && x <= band_hi; });
  const auto n = static_cast<size_t>(mid - v.begin());
  if (n == 0) return v[v.size() / 2];  // rounding at the band's edges; cannot happen in practice
  auto k = (n - 1) / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), mid);
  return v[k];
}

}  // namespace

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
      case DistanceStat::cluster:
        d.distance = densest_cluster(scratch);
        break;
    }
  }
}

}  // namespace percept
