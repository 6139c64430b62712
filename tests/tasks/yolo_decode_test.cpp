#include "percept/tasks/detect/yolo_decode.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace percept {
namespace {

// v8 tensor [4+nc, N] built column by column: (cx, cy, w, h, scores...).
std::vector<float> v8_tensor(const std::vector<std::vector<float>>& cols) {
  const size_t n = cols.size(), rows = cols[0].size();
  std::vector<float> t(rows * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t r = 0; r < rows; ++r) t[r * n + i] = cols[i][r];
  return t;
}

TEST(DecodeV8, HandComputedCase) {
  auto t = v8_tensor({{50, 50, 20, 10, 0.1f, 0.9f, 0.2f},     // class 1, box 40,45-60,55
                      {52, 50, 20, 10, 0.0f, 0.8f, 0.0f},     // class 1, IoU 0.818: suppressed
                      {52, 50, 20, 10, 0.0f, 0.0f, 0.7f},     // class 2 same place: kept
                      {10, 10, 4, 4, 0.2f, 0.1f, 0.24f},      // best 0.24 < 0.25: dropped
                      {100, 80, 10, 30, 0.3f, 0.0f, 0.0f}});  // class 0
  YoloDecoder dec;
  Detections out;
  dec.decode(t.data(), {YoloLayout::v8, 3, 5}, DecodeOptions{}, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].class_id, 1);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[0].box.x1, 40);
  EXPECT_FLOAT_EQ(out[0].box.y1, 45);
  EXPECT_FLOAT_EQ(out[0].box.x2, 60);
  EXPECT_FLOAT_EQ(out[0].box.y2, 55);
  EXPECT_EQ(out[1].class_id, 2);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
  EXPECT_EQ(out[2].class_id, 0);
  EXPECT_FLOAT_EQ(out[2].box.y1, 65);
}

TEST(DecodeV8, SkipsNonFiniteValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto t = v8_tensor({{50, 50, 20, 10, nan}, {50, 50, inf, 10, 0.9f}, {10, 10, 4, 4, 0.8f}});
  YoloDecoder dec;
  Detections out;
  dec.decode(t.data(), {YoloLayout::v8, 1, 3}, DecodeOptions{}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].score, 0.8f);
}

TEST(DecodeV5, ObjectnessTimesClass) {
  std::vector<float> t = {
      50, 50, 20, 10, 0.9f, 0.2f, 0.9f,  // class 1, 0.81
      50, 50, 20, 10, 0.5f, 0.4f, 0.6f,  // class 1, 0.30: same box, suppressed
      90, 90, 10, 10, 0.5f, 0.4f, 0.2f,  // class 0, 0.20: below 0.25
      10, 10, 4,  4,  0.2f, 1.0f, 0.0f,  // objectness 0.2: skipped early
  };
  YoloDecoder dec;
  Detections out;
  dec.decode(t.data(), {YoloLayout::v5, 2, 4}, DecodeOptions{}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_id, 1);
  EXPECT_NEAR(out[0].score, 0.81f, 1e-6);
}

TEST(DecodeEnd2End, KeepsModelOrderAboveThreshold) {
  std::vector<float> t = {
      10, 10, 20, 20, 0.9f, 3,   //
      11, 11, 21, 21, 0.8f, 3,   // overlaps, but NMS already ran in the graph: kept
      0,  0,  5,  5,  0.1f, 1,   // below threshold
      0,  0,  5,  5,  0.5f, -1,  // padding row with a negative class: skipped
  };
  YoloDecoder dec;
  Detections out;
  dec.decode(t.data(), {YoloLayout::end2end, 0, 4}, DecodeOptions{}, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].class_id, 3);
  EXPECT_FLOAT_EQ(out[1].box.x2, 21);
}

TEST(Decode, MaxCandidatesKeepsTheBest) {
  std::vector<std::vector<float>> cols;
  for (int i = 0; i < 100; ++i)
    cols.push_back({i * 30.f, 10, 10, 10, 0.3f + static_cast<float>(i) * 0.005f});
  auto t = v8_tensor(cols);
  DecodeOptions opt;
  opt.max_candidates = 10;
  YoloDecoder dec;
  Detections out;
  dec.decode(t.data(), {YoloLayout::v8, 1, 100}, opt, out);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_NEAR(out[9].score, 0.3f + 90 * 0.005f, 1e-6);
}

}  // namespace
}  // namespace percept
