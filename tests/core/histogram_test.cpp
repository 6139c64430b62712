#include "percept/telemetry/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace percept {
namespace {

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.5), 0);
  EXPECT_EQ(h.max(), 0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.quantile(0.5), 50);
  EXPECT_EQ(h.quantile(0.99), 99);
  EXPECT_EQ(h.quantile(1.0), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

// Quantiles of a wide log-normal latency distribution agree with the exact sorted-sample
// quantiles within the histogram's stated 1% relative error.
TEST(Histogram, QuantilesWithinOnePercent) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(15.0, 1.0);  // around 3 ms in ns, long tail
  std::vector<int64_t> v;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    auto x = static_cast<int64_t>(dist(rng));
    v.push_back(x);
    h.record(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact =
        static_cast<double>(v[static_cast<size_t>(q * static_cast<double>(v.size())) - 1]);
    EXPECT_NEAR(static_cast<double>(h.quantile(q)), exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(h.max(), v.back());
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a, b;
  a.record(1000);
  b.record(3000);
  b.record(-5);  // negative clamps to 0
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 0);
  EXPECT_EQ(a.max(), 3000);
}

}  // namespace
}  // namespace percept
