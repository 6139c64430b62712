// Latency histogram with fixed memory and ~0.8% relative resolution (HdrHistogram's idea: an
// exponent bucket split into 128 linear sub-buckets). record() is O(1) and never allocates,
// so it is cheap enough for every frame. Not thread-safe: one writer, or merge() copies.
#pragma once

#include <array>
#include <cstdint>

namespace percept {

class Histogram {
 public:
  // Values are non-negative integers (nanoseconds, by convention); negatives count as 0.
  void record(int64_t value);
  void merge(const Histogram& other);
  void reset() { *this = Histogram(); }

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return count_ ? max_ : 0; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double stddev() const;
  // Value at quantile q in [0, 1] (0.5 = median, 0.99 = p99); 0 when empty.
  int64_t quantile(double q) const;

 private:
  static constexpr int kSubBits = 7;  // 128 sub-buckets: relative error < 1/128
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kExponents = 64 - kSubBits;
  static int index_of(uint64_t v);
  static int64_t value_at(int index);  // midpoint of the bucket

  std::array<uint64_t, kSub*(kExponents + 1)> counts_{};
  uint64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  double sum_ = 0, sum_sq_ = 0;
};

}  // namespace percept
