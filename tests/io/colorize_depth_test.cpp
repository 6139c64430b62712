// colorize_depth (the depth picture of `percept infer` and the annotated videos) against the
// OpenCV recipe it replaced (grey levels, cv::applyColorMap INFERNO, "no depth" black), and the
// shared per-pixel math that the CUDA colouriser also runs (core/depth_colour_math.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <random>

#include "percept/core/depth_colour_math.hpp"
#include "percept/core/inferno_lut.hpp"
#include "percept/io/annotate.hpp"

namespace percept {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The implementation before the shared math: min/max over finite values, grey 1..255 with
// cv::saturate-free rounding, applyColorMap, then the holes painted black.
cv::Mat opencv_reference(const DepthMap& depth) {
  cv::Mat gray(depth.height, depth.width, CV_8UC1, cv::Scalar(0));
  float lo = 0, hi = 0;
  bool first = true;
  for (float v : depth.values)
    if (std::isfinite(v)) {
      lo = first ? v : std::min(lo, v);
      hi = first ? v : std::max(hi, v);
      first = false;
    }
  const float span = hi > lo ? hi - lo : 1.f;
  const bool invert = depth.unit == DepthUnit::metres;
  for (int y = 0; y < depth.height; ++y)
    for (int x = 0; x < depth.width; ++x) {
      const float v = depth.values[static_cast<size_t>(y) * depth.width + x];
      if (!std::isfinite(v)) continue;
      float t = (v - lo) / span;
      if (invert) t = 1.f - t;
      gray.at<uint8_t>(y, x) = static_cast<uint8_t>(1.f + t * 254.f + 0.5f);
    }
  cv::Mat colour;
  cv::applyColorMap(gray, colour, cv::COLORMAP_INFERNO);
  for (int y = 0; y < depth.height; ++y)
    for (int x = 0; x < depth.width; ++x)
      if (gray.at<uint8_t>(y, x) == 0) colour.at<cv::Vec3b>(y, x) = cv::Vec3b(0, 0, 0);
  return colour;
}

void expect_same(const DepthMap& d, const char* what) {
  const Image got = colorize_depth(d);
  const cv::Mat want = opencv_reference(d);
  ASSERT_EQ(got.width(), d.width) << what;
  ASSERT_EQ(got.height(), d.height) << what;
  for (int y = 0; y < d.height; ++y)
    ASSERT_EQ(std::memcmp(got.view().row(y), want.ptr(y), static_cast<size_t>(d.width) * 3), 0)
        << what << ", row " << y;
}

TEST(InfernoTable, EqualsOpenCvColorMap) {
  cv::Mat ramp(256, 1, CV_8UC1);
  for (int g = 0; g < 256; ++g) ramp.at<uint8_t>(g) = static_cast<uint8_t>(g);
  cv::Mat colour;
  cv::applyColorMap(ramp, colour, cv::COLORMAP_INFERNO);
  for (int g = 0; g < 256; ++g) {
    const cv::Vec3b c = colour.at<cv::Vec3b>(g);
    EXPECT_EQ(kInfernoBgr[g].b, c[0]) << g;
    EXPECT_EQ(kInfernoBgr[g].g, c[1]) << g;
    EXPECT_EQ(kInfernoBgr[g].r, c[2]) << g;
  }
}

TEST(ColorizeDepth, EqualsTheOpenCvRecipe) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> u(-3.f, 40.f);
  std::uniform_int_distribution<int> hole(0, 19);
  for (DepthUnit unit : {DepthUnit::metres, DepthUnit::relative}) {
    DepthMap d;
    d.width = 173;
    d.height = 61;
    d.unit = unit;
    for (int i = 0; i < d.width * d.height; ++i) {
      const int h = hole(rng);
      d.values.push_back(h == 0 ? kNaN : h == 1 ? kInf : h == 2 ? -kInf : u(rng));
    }
    expect_same(d, unit == DepthUnit::metres ? "metres" : "relative");
  }
}

TEST(ColorizeDepth, FlatEmptyAndHoleOnlyMaps) {
  DepthMap flat{5, 4, std::vector<float>(20, 2.5f), DepthUnit::metres};
  expect_same(flat, "flat");
  DepthMap holes{5, 4, std::vector<float>(20, kNaN), DepthUnit::relative};
  expect_same(holes, "holes only");
  const Image black = colorize_depth(holes);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 15; ++x) ASSERT_EQ(black.view().row(y)[x], 0);
  DepthMap empty{0, 0, {}, DepthUnit::metres};
  EXPECT_TRUE(colorize_depth(empty).empty());
}

// The key the CUDA kernel's range reduction compares: order-preserving over every class of
// float, and inverted exactly by float_of_key.
TEST(DepthColourMath, FloatOrderKeyPreservesOrder) {
  std::vector<float> v = {-kInf,  -1e30f, -2.5f, -1e-40f, -0.f, 0.f,
                          1e-40f, 1e-7f,  1.f,   3e38f,   kInf};
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1e6f, 1e6f);
  for (int i = 0; i < 2000; ++i) v.push_back(u(rng));
  std::sort(v.begin(), v.end());
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] < v[i + 1]) {
      EXPECT_LT(float_order_key(v[i]), float_order_key(v[i + 1])) << v[i];
    }
  }
  EXPECT_LT(float_order_key(-0.f), float_order_key(0.f));  // equal floats, adjacent keys
  for (float f : v) {
    const float back = float_of_key(float_order_key(f));
    EXPECT_EQ(std::memcmp(&back, &f, sizeof f), 0) << f;
  }
}

}  // namespace
}  // namespace percept
