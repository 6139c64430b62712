#include "percept/tasks/detect/nms.hpp"

#include <gtest/gtest.h>

namespace percept {
namespace {

TEST(Iou, HandComputed) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {10, 10, 20, 20}), 0.f);  // touching corners
  EXPECT_FLOAT_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.f);        // degenerate, no NaN
}

TEST(Nms, ClassAwareKeepsOtherClasses) {
  Detections d = {{{0, 0, 10, 10}, 0.9f, 0},
                  {{1, 0, 11, 10}, 0.8f, 0},    // IoU 0.818 with the first: suppressed
                  {{1, 0, 11, 10}, 0.7f, 1},    // other class: kept
                  {{20, 20, 30, 30}, 0.6f, 0},  // far away: kept
                  {{5, 0, 15, 10}, 0.5f, 0}};   // IoU 0.333 with the first: kept at 0.45
  nms_inplace(d, {0.45f, 300, false});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_FLOAT_EQ(d[0].score, 0.9f);
  EXPECT_FLOAT_EQ(d[1].score, 0.7f);
  EXPECT_FLOAT_EQ(d[2].score, 0.6f);
  EXPECT_FLOAT_EQ(d[3].score, 0.5f);
}

TEST(Nms, AgnosticSuppressesAcrossClasses) {
  Detections d = {{{1, 0, 11, 10}, 0.7f, 1}, {{0, 0, 10, 10}, 0.9f, 0}};
  nms_inplace(d, {0.45f, 300, true});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].class_id, 0);
}

TEST(Nms, ThresholdIsStrict) {
  // IoU exactly 1/3: kept at threshold 1/3 (suppression needs IoU > threshold).
  Detections d = {{{0, 0, 10, 10}, 0.9f, 0}, {{5, 0, 15, 10}, 0.5f, 0}};
  nms_inplace(d, {50.f / 150.f, 300, false});
  EXPECT_EQ(d.size(), 2u);
}

TEST(Nms, MaxDetectionsAndStableTies) {
  Detections d;
  for (int i = 0; i < 10; ++i) d.push_back({{i * 20.f, 0, i * 20.f + 10, 10}, 0.5f, i});
  nms_inplace(d, {0.45f, 3, false});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].class_id, 0);  // equal scores keep input order
  EXPECT_EQ(d[2].class_id, 2);
}

}  // namespace
}  // namespace percept
