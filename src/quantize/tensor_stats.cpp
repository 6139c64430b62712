// Calibration statistics: extremes, a growing |x| histogram and the three range methods.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "percept/quantize/quantize.hpp"

namespace percept::quantize {

const char* method_name(Method m) {
  switch (m) {
    case Method::minmax:
      return "minmax";
    case Method::percentile:
      return "percentile";
    case Method::entropy:
      return "entropy";
  }
  return "?";
}

const char* format_name(Format f) {
  return f == Format::cpu ? "cpu" : "tensorrt";
}

namespace {

// TensorRT's entropy calibration on a |x| histogram of kBins bins spanning [0, top]: the
// threshold whose 128-level quantization of the clipped distribution has the least KL
// divergence from it.
float entropy_threshold(const std::array<int64_t, TensorStats::kBins>& hist, float top) {
  constexpr int kLevels = 128;  // int8's magnitudes
  constexpr int kStep = 16;     // candidate thresholds every 16 bins: 121 candidates
  const int n = TensorStats::kBins;
  int last = n;
  while (last > 0 && hist[last - 1] == 0) --last;
  if (last <= kLevels) return top * static_cast<float>(std::max(last, 1)) / n;
  double best_kl = std::numeric_limits<double>::infinity();
  int best = n;
  std::vector<double> p(n), q(n);
  for (int i = kLevels; i <= n; i += kStep) {
    // P: the histogram clipped at bin i, the outliers folded into its last bin.
    double outliers = 0;
    for (int k = i; k < n; ++k) outliers += static_cast<double>(hist[k]);
    for (int k = 0; k < i; ++k) p[k] = static_cast<double>(hist[k]);
    p[i - 1] += outliers;
    // Q: the unclipped bins merged into kLevels levels, each level's mass spread evenly over
    // the bins that are non-empty in P (MXNet's and TensorRT's construction).
    std::fill(q.begin(), q.begin() + i, 0.0);
    const double per = static_cast<double>(i) / kLevels;
    for (int j = 0; j < kLevels; ++j) {
      const int a = static_cast<int>(std::floor(j * per));
      const int b = j == kLevels - 1 ? i : static_cast<int>(std::floor((j + 1) * per));
      double mass = 0;
      int nonzero = 0;
      for (int k = a; k < b; ++k) {
        mass += static_cast<double>(hist[k]);
        nonzero += p[k] != 0;
      }
      if (nonzero == 0) continue;
      for (int k = a; k < b; ++k)
        if (p[k] != 0) q[k] = mass / nonzero;
    }
    double ps = 0, qs = 0;
    for (int k = 0; k < i; ++k) ps += p[k], qs += q[k];
    if (ps <= 0 || qs <= 0) continue;
    double kl = 0;
    for (int k = 0; k < i; ++k) {
      if (p[k] <= 0) continue;
      const double pk = p[k] / ps;
      const double qk = q[k] > 0 ? q[k] / qs : 1e-12;  // a level with no mass: heavy penalty
      kl += pk * std::log(pk / qk);
    }
    if (kl < best_kl) best_kl = kl, best = i;
  }
  return top * static_cast<float>(best) / n;
}

}  // namespace

void TensorStats::add(const float* data, size_t n) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo, top = 0;
  int64_t finite = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (!std::isfinite(v)) continue;
    ++finite;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  nonfinite_ += static_cast<int64_t>(n) - finite;
  if (finite == 0) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  top = std::max(std::abs(lo), std::abs(hi));
  if (top_ == 0) {
    top_ = top > 0 ? top : 0;
  } else {
    // Double the span, merging bin pairs, until the new values fit: the counts stay exact
    // per (wider) bin, so one pass over the frames is enough.
    while (top > top_) {
      for (int i = 0; i < kBins / 2; ++i) hist_[i] = hist_[2 * i] + hist_[2 * i + 1];
      std::fill(hist_.begin() + kBins / 2, hist_.end(), 0);
      top_ *= 2;
    }
  }
  count_ += finite;
  if (top_ == 0) {  // all zeros so far: they belong to bin 0 whatever the span becomes
    hist_[0] += finite;
    return;
  }
  const float per = kBins / top_;
  for (size_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (!std::isfinite(v)) continue;
    const int b = std::min(static_cast<int>(std::abs(v) * per), kBins - 1);
    ++hist_[b];
  }
}

Model::Range TensorStats::range(Method m, double percentile) const {
  Model::Range r;
  r.min = min_;
  r.max = max_;
  float t = std::numeric_limits<float>::infinity();
  if (m == Method::percentile && count_ > 0 && top_ > 0) {
    const double want = static_cast<double>(count_) * percentile / 100.0;
    double seen = 0;
    int b = 0;
    for (; b < kBins; ++b) {
      seen += static_cast<double>(hist_[b]);
      if (seen >= want) break;
    }
    t = top_ * static_cast<float>(std::min(b + 1, kBins)) / kBins;
  } else if (m == Method::entropy && top_ > 0) {
    t = entropy_threshold(hist_, top_);
  }
  // Every range holds zero: zero must be exact (padding, ReLU) in both encodings.
  r.lo = std::min(0.f, std::max(min_, -t));
  r.hi = std::max(0.f, std::min(max_, t));
  return r;
}

}  // namespace percept::quantize
