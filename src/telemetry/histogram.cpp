#include "percept/telemetry/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace percept {

// Values below 128 get one bucket each; above, bucket e covers [2^(e+6), 2^(e+7)) in 128 steps.
int Histogram::index_of(uint64_t v) {
  if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);  // >= kSubBits
  const int shift = msb - kSubBits;
  const int sub = static_cast<int>(v >> shift) - kSub;  // 0..127
  return (shift + 1) * kSub + sub;
}

int64_t Histogram::value_at(int index) {
  if (index < kSub) return index;
  const int shift = index / kSub - 1;
  const int64_t sub = index % kSub + kSub;
  const int64_t lo = sub << shift;
  return lo + ((int64_t{1} << shift) >> 1);
}

void Histogram::record(int64_t value) {
  const uint64_t v = value < 0 ? 0 : static_cast<uint64_t>(value);
  counts_[index_of(v)]++;
  count_++;
  min_ = std::min<int64_t>(min_, static_cast<int64_t>(v));
  max_ = std::max<int64_t>(max_, static_cast<int64_t>(v));
  const auto d = static_cast<double>(v);
  sum_ += d;
  sum_sq_ += d * d;
}

void Histogram::merge(const Histogram& o) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
  sum_sq_ += o.sum_sq_;
}

double Histogram::stddev() const {
  if (count_ < 2) return 0.0;
  const double m = mean();
  return std::sqrt(std::max(0.0, sum_sq_ / static_cast<double>(count_) - m * m));
}

int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the wanted sample, 1-based, nearest-rank definition.
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(value_at(static_cast<int>(i)), min_, max_);
  }
  return max_;
}

}  // namespace percept
