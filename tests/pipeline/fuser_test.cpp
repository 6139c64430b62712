#include "percept/pipeline/fuser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "percept/io/synthetic_source.hpp"

namespace percept {
namespace {

// The synthetic scene's depth map has every shape at its own known distance over a floor
// gradient. A circle fills 78% of its box, so the median inside the box is its distance
// unless a nearer shape covers it; min is never above it.
TEST(Fuser, DistancesFromASceneWithKnownDepth) {
  SyntheticScene scene({320, 240, 10, 11, -1});
  Image img;
  int checked = 0;
  std::vector<float> scratch;
  for (int frame = 0; frame < 40; ++frame) {
    ASSERT_TRUE(scene.next(img));
    DepthMap depth{320, 240, scene.depth_map()};
    Detections dets;
    for (const auto& o : scene.objects()) dets.push_back({o.box, 1.f, o.class_id});
    fuse_distances(dets, depth, DistanceStat::median, scratch);
    Detections near = dets;
    fuse_distances(near, depth, DistanceStat::min, scratch);
    for (size_t i = 0; i < dets.size(); ++i) {
      const auto& o = scene.objects()[i];
      EXPECT_LE(near[i].distance, o.distance + 1e-4);
      if (o.class_id != 0) continue;
      bool overlapped = false;  // a nearer shape drawn over this one may change the median
      for (const auto& other : scene.objects())
        overlapped = overlapped || (other.distance < o.distance && iou(other.box, o.box) > 0);
      if (overlapped) continue;
      EXPECT_NEAR(dets[i].distance, o.distance, 1e-4) << "frame " << frame;
      ++checked;
    }
  }
  EXPECT_GT(checked, 5);
}

TEST(Fuser, StatisticsOnAHandMadeMap) {
  // 4x2 map: 1 2 3 4 / 5 6 7 NaN
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DepthMap d{4, 2, {1, 2, 3, 4, 5, 6, 7, nan}};
  std::vector<float> scratch;
  auto run = [&](DistanceStat s, Box b) {
    Detections dets = {{b, 1.f, 0}};
    fuse_distances(dets, d, s, scratch);
    return dets[0].distance;
  };
  const Box all{0, 0, 4, 2};
  EXPECT_FLOAT_EQ(run(DistanceStat::min, all), 1);  // NaN ignored
  EXPECT_FLOAT_EQ(run(DistanceStat::mean, all), 4);
  EXPECT_FLOAT_EQ(run(DistanceStat::median, all), 4);
  EXPECT_FLOAT_EQ(run(DistanceStat::p10, all), 1);
  EXPECT_FLOAT_EQ(run(DistanceStat::median, {2.5f, 0.2f, 3.5f, 0.8f}), 3);  // {3, 4}: lower median
  EXPECT_FLOAT_EQ(run(DistanceStat::median, {10, 10, 20, 20}), Detection::kNoDistance);  // outside
  EXPECT_FLOAT_EQ(run(DistanceStat::median, {3, 1, 4, 2}), Detection::kNoDistance);      // only NaN
  EXPECT_FALSE(parse_distance_stat("max").ok());
}

}  // namespace
}  // namespace percept
