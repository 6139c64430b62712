// The legends drawn on annotated frames: where they go, what they leave alone.
#include "percept/io/annotate.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace percept {
namespace {

Image grey_frame(int w, int h) {
  Image img;
  img.resize(w, h, PixelFormat::bgr8);
  std::memset(img.data(), 128, img.stride() * static_cast<size_t>(h));
  return img;
}

const uint8_t* px(const Image& img, int x, int y) {
  return img.view().data + static_cast<size_t>(y) * img.stride() + static_cast<size_t>(x) * 3;
}

bool untouched(const Image& img, int x, int y) {
  const uint8_t* p = px(img, x, y);
  return p[0] == 128 && p[1] == 128 && p[2] == 128;
}

TEST(Annotate, DepthInsetSitsBottomRightWithNearBrightAndFarDark) {
  Image frame = grey_frame(640, 480);
  DepthMap d;
  d.width = 64;
  d.height = 48;
  d.unit = DepthUnit::metres;
  d.values.resize(64 * 48);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) d.values[static_cast<size_t>(y * 64 + x)] = 1.f + 0.1f * x;
  draw_depth_inset(frame, d);
  EXPECT_TRUE(untouched(frame, 10, 10));    // top left: the picture is left alone
  EXPECT_TRUE(untouched(frame, 100, 470));  // bottom left too
  // The inset is 30% of the width (192 px) and ends before the colour bar at the right edge.
  const int inset_x0 = 640 - 192 - 12 - 8, y = 480 - 20;
  const uint8_t* near = px(frame, inset_x0 + 2, y);   // x = 0: 1 m, nearest: bright
  const uint8_t* far = px(frame, inset_x0 + 188, y);  // x = 63: 7.3 m, farthest: dark
  EXPECT_GT(near[0] + near[1] + near[2], far[0] + far[1] + far[2] + 200);
}

TEST(Annotate, DepthInsetSkipsEmptyAndAllInvalidMaps) {
  Image frame = grey_frame(320, 240);
  DepthMap empty;
  draw_depth_inset(frame, empty);
  DepthMap nan;
  nan.width = 4;
  nan.height = 4;
  nan.values.assign(16, std::numeric_limits<float>::quiet_NaN());
  draw_depth_inset(frame, nan);
  for (int y = 0; y < 240; y += 7)
    for (int x = 0; x < 320; x += 7) ASSERT_TRUE(untouched(frame, x, y)) << x << "," << y;
}

TEST(Annotate, ClassLegendTopLeftOnlyAndBoundedRows) {
  Image frame = grey_frame(640, 480);
  std::vector<std::pair<int, std::string>> classes;
  for (int i = 0; i < 20; ++i) classes.emplace_back(i, "class" + std::to_string(i));
  draw_class_legend(frame, classes, 4);
  EXPECT_FALSE(untouched(frame, 6, 6));  // the panel's corner is darkened
  EXPECT_TRUE(untouched(frame, 320, 240));
  EXPECT_TRUE(untouched(frame, 6, 200));  // four rows end well above y = 200
  Image tiny = grey_frame(8, 8);          // too small for a panel: nothing drawn, no crash
  draw_class_legend(tiny, classes);
  EXPECT_TRUE(untouched(tiny, 4, 4));
}

}  // namespace
}  // namespace percept
