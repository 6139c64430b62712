#include "percept/pipeline/fuser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "percept/io/synthetic_source.hpp"
#include "percept/track/position_3d.hpp"

#include <algorithm>
#include <cstdio>

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

namespace percept {
namespace {

// Which depth statistic gives an object's distance when the floor fills part of its box
// (issue 16): median and p10 against the densest cluster, on the synthetic scene's exact depth,
// for every object at least 60% visible (stars and triangles fill under half their box). The
// 3D position error follows: the box centre back-projected at each estimate against the same
// centre at the true distance, as a fraction of the distance.
TEST(Fuser, TheDensestClusterFindsTheObjectBehindTheBackground) {
  SyntheticScene scene({640, 480, 10, 31, -1});
  Image img;
  std::vector<float> scratch;
  const Intrinsics k{500, 500, 320, 240};
  const DistanceStat stats[] = {DistanceStat::median, DistanceStat::p10, DistanceStat::cluster};
  const char* names[] = {"median", "p10", "cluster"};
  double sum_err[3] = {}, max_err[3] = {};
  size_t n = 0, within_3pct[3] = {};
  for (int frame = 0; frame < 60; ++frame) {
    ASSERT_TRUE(scene.next(img));
    DepthMap depth{640, 480, scene.depth_map()};
    const std::vector<float> vis = scene.visibility();
    for (size_t s = 0; s < 3; ++s) {
      Detections dets;
      for (const auto& o : scene.objects()) dets.push_back({o.box, 1.f, o.class_id});
      fuse_distances(dets, depth, stats[s], scratch);
      locate_in_3d(dets, k);
      for (size_t i = 0; i < dets.size(); ++i) {
        if (vis[i] < 0.6f) continue;
        const float z = scene.objects()[i].distance;
        ASSERT_TRUE(dets[i].has_position);
        // The same centre at the true depth: the error is the depth error scaled by the ray.
        const double u = (dets[i].box.x1 + dets[i].box.x2) / 2 - 320;
        const double v = (dets[i].box.y1 + dets[i].box.y2) / 2 - 240;
        const double tx = u * z / 500, ty = v * z / 500;
        const double e = std::sqrt(std::pow(dets[i].position_m[0] - tx, 2) +
                                   std::pow(dets[i].position_m[1] - ty, 2) +
                                   std::pow(dets[i].position_m[2] - z, 2)) /
                         z;
        sum_err[s] += e;
        max_err[s] = std::max(max_err[s], e);
        within_3pct[s] += e <= 0.03;
        n += s == 0;
      }
    }
  }
  ASSERT_GT(n, 200u);
  for (size_t s = 0; s < 3; ++s)
    std::printf("%-8s mean 3D error %.2f%% of the distance, max %.1f%%, within 3%%: %.1f%%\n",
                names[s], 100 * sum_err[s] / n, 100 * max_err[s], 100.0 * within_3pct[s] / n);
  EXPECT_LT(sum_err[2] / n, 0.03) << "cluster: mean error under 3% of the distance";
  EXPECT_LT(sum_err[2], sum_err[0]) << "cluster beats the median";
  EXPECT_LT(sum_err[2], sum_err[1]) << "cluster beats p10";
}

}  // namespace
}  // namespace percept
