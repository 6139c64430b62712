// The legends drawn on annotated frames: where they go, what they leave alone.
#include "percept/io/annotate.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "support/alloc_counter.hpp"

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

// A tracked object's trail joins its last centres; an object gone for longer than a trail is
// forgotten, and untracked boxes have none.
TEST(Annotate, TrailsJoinTheCentresOfTrackedObjectsAndForgetTheGone) {
  Trails trails;
  Image frame = grey_frame(320, 240);
  auto tracked = [](float cx, int64_t id) {
    Detection d;
    d.box = {cx - 10, 100, cx + 10, 140};
    d.track_id = id;
    return d;
  };
  for (int i = 0; i < 10; ++i) {  // moving right 10 px per frame, centre y = 120
    frame = grey_frame(320, 240);
    Detection untracked = tracked(60, 0);
    untracked.box = {50, 20, 70, 60};
    trails.update_and_draw(frame, 0, 0, i, {tracked(50.f + 10 * i, 7), untracked});
  }
  EXPECT_EQ(trails.size(), 1u) << "one trail: the untracked box has none";
  for (int x = 55; x <= 135; x += 20) EXPECT_FALSE(untouched(frame, x, 120)) << x;
  EXPECT_TRUE(untouched(frame, 30, 120)) << "before the first centre";
  EXPECT_TRUE(untouched(frame, 90, 160)) << "off the trail";
  EXPECT_TRUE(untouched(frame, 60, 40)) << "an untracked box leaves no trail";
  // Frames later, with the object gone: its trail is forgotten.
  frame = grey_frame(320, 240);
  trails.update_and_draw(frame, 0, 0, 10 + Trails::kLength + 1, {});
  EXPECT_EQ(trails.size(), 0u);
}

}  // namespace
}  // namespace percept

namespace percept {
namespace {

// The mosaic's camera ids: rendered once, then blended without cv::putText, which allocated
// for every stroke of its anti-aliased outline (about 440 times per mosaic frame).
TEST(OutlinedText, DrawsWhatPutTextDrawsWithoutAllocating) {
  cv::Mat bg(120, 200, CV_8UC3);
  cv::randu(bg, 0, 255);
  Image a(200, 120, PixelFormat::bgr8), b(200, 120, PixelFormat::bgr8);
  for (int y = 0; y < 120; ++y) {
    std::memcpy(a.row(y), bg.ptr(y), 600);
    std::memcpy(b.row(y), bg.ptr(y), 600);
  }
  cv::Mat ref(120, 200, CV_8UC3, a.data(), a.stride());
  cv::putText(ref, "slam1", cv::Point(8 + 30, 22 + 40) + cv::Point(1, 1), cv::FONT_HERSHEY_SIMPLEX,
              0.7, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  cv::putText(ref, "slam1", cv::Point(8 + 30, 22 + 40), cv::FONT_HERSHEY_SIMPLEX, 0.7,
              cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  const OutlinedText label("slam1", 0.7);
  long allocations = 0;
  {
    test::CountAllocations n;
    label.draw(b, 30, 40);
    allocations = n.count();
  }
  EXPECT_EQ(allocations, 0);
  int worst = 0, changed = 0;
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 600; ++x) {
      const int d = std::abs(a.row(y)[x] - b.row(y)[x]);
      worst = std::max(worst, d);
      changed += a.row(y)[x] != bg.ptr(y)[x];
    }
  EXPECT_LE(worst, 4) << "rounding of the blend only";
  EXPECT_GT(changed, 200) << "the text was drawn";
  // Clipped to a tile: nothing outside the 10x10 corner is touched.
  Image c(60, 30, PixelFormat::bgr8);
  std::memset(c.data(), 7, c.stride() * 30);
  label.draw(c, 0, 0, 10, 10);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 180; ++x)
      if (y >= 10 || x >= 30) {
        ASSERT_EQ(c.row(y)[x], 7) << "outside the clip: " << x / 3 << "," << y;
      }
  // Partly outside the frame on either side: clipped, no crash, and it still draws.
  Image d(60, 30, PixelFormat::bgr8);
  std::memset(d.data(), 7, d.stride() * 30);
  label.draw(d, -20, -10);
  label.draw(d, 50, 20);
  int drawn = 0;
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 180; ++x) drawn += d.row(y)[x] != 7;
  EXPECT_GT(drawn, 0);
}

}  // namespace
}  // namespace percept
