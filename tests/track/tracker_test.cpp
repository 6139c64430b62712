// The tracker's parts against hand-worked cases and brute force, and each bad input the issue
// lists with its documented result (track/byte_tracker.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "percept/core/model_output.hpp"
#include "percept/track/assignment.hpp"
#include "percept/track/byte_tracker.hpp"
#include "percept/track/kalman_box.hpp"
#include "percept/track/position_3d.hpp"

namespace percept {
namespace {

constexpr int64_t kFrameNs = 33'333'333;  // 30 FPS

Detection det(float cx, float cy, float w, float h, float score, int cls = 0) {
  Detection d;
  d.box = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
  d.score = score;
  d.class_id = cls;
  return d;
}

TEST(KalmanBox, LearnsAConstantVelocityInPixelsPerSecond) {
  KalmanBox k;
  k.init({100, 100, 140, 180});
  for (int i = 1; i <= 60; ++i) {  // 3 px per 1/30 s step to the right: 90 px/s
    k.predict(1.0);
    k.update({100.f + 3.f * i, 100, 140.f + 3.f * i, 180});
  }
  EXPECT_NEAR(k.velocity_px_s()[0], 90.f, 2.f);
  EXPECT_NEAR(k.velocity_px_s()[1], 0.f, 1.f);
  k.predict(1.0);  // the prediction moves on by one step
  EXPECT_NEAR((k.box().x1 + k.box().x2) / 2, 120.f + 3.f * 61, 1.f);
}

TEST(KalmanAxis, LearnsAVelocityInMetresPerSecond) {
  KalmanAxis a;
  a.init(5.0, 0.01);
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 0.05);
  // 5 cm of noise per position (1% at 5 m): single estimates wander, their mean over the last
  // second does not.
  double sum = 0;
  for (int i = 1; i <= 120; ++i) {
    a.step(1.0 / 30, 5.0 + 0.6 * i / 30.0 + noise(rng), 1.0, 0.0025);
    if (i > 90) sum += a.velocity();
  }
  EXPECT_NEAR(sum / 30, 0.6, 0.06);
}

// Brute force over every partial matching of a small matrix, with ByteTrack's cost model:
// each matched pair costs its cost, each unmatched row costs `limit` (an unmatched column: 0).
double brute(const std::vector<float>& c, size_t rows, size_t cols, float limit,
             std::vector<int>& best_match) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> m(rows, -1);
  std::vector<char> used(cols, 0);
  auto rec = [&](auto&& self, size_t r, double acc) -> void {
    if (r == rows) {
      if (acc < best - 1e-9) best = acc, best_match = m;
      return;
    }
    m[r] = -1;
    self(self, r + 1, acc + limit);
    for (size_t j = 0; j < cols; ++j)
      if (!used[j] && c[r * cols + j] < limit) {
        used[j] = 1, m[r] = static_cast<int>(j);
        self(self, r + 1, acc + c[r * cols + j]);
        used[j] = 0, m[r] = -1;
      }
  };
  rec(rec, 0, 0.0);
  return best;
}

TEST(Assignment, MatchesBruteForceOnRandomSparseProblems) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0, 1);
  AssignmentScratch s;
  std::vector<int> got, want;
  for (int trial = 0; trial < 300; ++trial) {
    const size_t rows = 1 + rng() % 6, cols = 1 + rng() % 6;
    std::vector<float> c(rows * cols);
    for (float& v : c) v = u(rng) < 0.5f ? 1.f : u(rng);  // half infeasible at limit 0.8
    assign_with_limit(c, rows, cols, 0.8f, got, s);
    const double best = brute(c, rows, cols, 0.8f, want);
    double cost = 0;
    std::vector<char> used(cols, 0);
    for (size_t r = 0; r < rows; ++r) {
      if (got[r] < 0) {
        cost += 0.8;
        continue;
      }
      ASSERT_LT(c[r * cols + static_cast<size_t>(got[r])], 0.8f) << "an infeasible pair";
      ASSERT_FALSE(used[static_cast<size_t>(got[r])]) << "a column matched twice";
      used[static_cast<size_t>(got[r])] = 1;
      cost += c[r * cols + static_cast<size_t>(got[r])];
    }
    EXPECT_NEAR(cost, best, 1e-5) << "trial " << trial;
  }
}

TEST(Assignment, PrefersTheGloballyCheaperMatching) {
  // Greedy would take (0,0) at 0.1 and leave row 1 unmatched; the optimum is 0.2 + 0.2.
  const std::vector<float> c = {0.1f, 0.2f, 0.2f, 0.9f};
  AssignmentScratch s;
  std::vector<int> m;
  assign_with_limit(c, 2, 2, 0.8f, m, s);
  EXPECT_EQ(m, (std::vector<int>{1, 0}));
}

// Two objects walking towards each other on one row, the same class, crossing at frame 30.
Detections crossing_frame(int i) {
  return {det(100.f + 10.f * i, 200, 40, 80, 0.9f), det(700.f - 10.f * i, 200, 40, 80, 0.9f)};
}

TEST(ByteTracker, KeepsIdentitiesThroughASameClassCrossing) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  int64_t left_id = 0, right_id = 0;
  for (int i = 0; i < 60; ++i) {
    Detections d = crossing_frame(i);
    t.update(d, i * kFrameNs, keep);
    ASSERT_EQ(keep, (std::vector<uint8_t>{1, 1}));
    ASSERT_GT(d[0].track_id, 0) << "frame " << i;
    if (i == 0) left_id = d[0].track_id, right_id = d[1].track_id;
    ASSERT_EQ(d[0].track_id, left_id) << "frame " << i;
    ASSERT_EQ(d[1].track_id, right_id) << "frame " << i;
    if (i > 10) {
      EXPECT_NEAR(d[0].velocity_px_s[0], 300.f, 15.f);  // 10 px x 30 FPS
    }
  }
  EXPECT_NE(left_id, right_id);
}

TEST(ByteTracker, ConfirmsANewTrackOnItsSecondFrame) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  Detections d = {det(100, 100, 40, 40, 0.9f)};
  t.update(d, 0, keep);
  EXPECT_EQ(d[0].track_id, 1) << "the tracker's first frame confirms at once";
  d = {det(100, 100, 40, 40, 0.9f), det(400, 300, 40, 40, 0.9f)};
  t.update(d, kFrameNs, keep);
  EXPECT_EQ(d[1].track_id, 0) << "a newcomer is not confirmed on its first frame";
  EXPECT_EQ(keep[1], 1) << "but it is published: its score is over conf";
  d = {det(100, 100, 40, 40, 0.9f), det(402, 300, 40, 40, 0.9f)};
  t.update(d, 2 * kFrameNs, keep);
  EXPECT_EQ(d[1].track_id, 2);
}

TEST(ByteTracker, LowScoreBoxesContinueTracksButStartNone) {
  TrackerConfig cfg;
  cfg.publish_conf = 0.5;  // the model's conf; it decodes down to low_thresh 0.1
  ByteTracker t(cfg);
  std::vector<uint8_t> keep;
  for (int i = 0; i < 5; ++i) {
    Detections d = {det(100.f + 5 * i, 100, 40, 40, 0.9f)};
    t.update(d, i * kFrameNs, keep);
  }
  // Occluded: the box's score drops to 0.2. It continues the track and is published.
  Detections d = {det(125, 100, 40, 40, 0.2f), det(400, 400, 40, 40, 0.2f)};
  t.update(d, 5 * kFrameNs, keep);
  EXPECT_EQ(d[0].track_id, 1);
  EXPECT_EQ(keep[0], 1);
  // A low-score box that continues nothing is under conf: not published, no track.
  EXPECT_EQ(keep[1], 0);
  EXPECT_EQ(d[1].track_id, 0);
  ModelOutput out;
  out.detections = d;
  out.retain_detections(keep);
  ASSERT_EQ(out.detections.size(), 1u);
  EXPECT_EQ(out.detections[0].track_id, 1);
}

TEST(ByteTracker, LostTracksExpireAfterTheBufferAndIdsAreNeverReused) {
  TrackerConfig cfg;
  cfg.track_buffer = 30;  // 1 s
  ByteTracker t(cfg);
  std::vector<uint8_t> keep;
  Detections d = {det(100, 100, 40, 40, 0.9f)};
  t.update(d, 0, keep);
  ASSERT_EQ(d[0].track_id, 1);
  // Gone for 0.5 s, back at the same place: the lost track takes it again.
  for (int i = 1; i <= 15; ++i) {
    Detections none;
    t.update(none, i * kFrameNs, keep);
  }
  d = {det(100, 100, 40, 40, 0.9f)};
  t.update(d, 16 * kFrameNs, keep);
  EXPECT_EQ(d[0].track_id, 1);
  // Gone for 2 s: the track is removed; the object comes back as a new one, with a new id.
  for (int i = 17; i <= 77; ++i) {
    Detections none;
    t.update(none, i * kFrameNs, keep);
  }
  EXPECT_EQ(t.stats().active, 0u);
  for (int i = 78; i <= 80; ++i) {
    d = {det(100, 100, 40, 40, 0.9f)};
    t.update(d, i * kFrameNs, keep);
  }
  EXPECT_EQ(d[0].track_id, 2);
}

TEST(ByteTracker, BadBoxesAreNeitherTrackedNorPublished) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Detections d = {det(100, 100, 40, 40, 0.9f), det(nan, 100, 40, 40, 0.9f),
                  det(200, 100, 0, 40, 0.9f), det(300, 100, 40, 40, nan),
                  det(400, 100, -5, 40, 0.9f)};
  t.update(d, 0, keep);
  EXPECT_EQ(keep, (std::vector<uint8_t>{1, 0, 0, 0, 0}));
  EXPECT_EQ(t.stats().invalid, 4u);
  EXPECT_EQ(t.stats().active, 1u);
}

TEST(ByteTracker, TenThousandBoxesAreCappedAndCounted) {
  TrackerConfig cfg;
  cfg.max_detections = 1000;
  ByteTracker t(cfg);
  std::vector<uint8_t> keep;
  Detections d;
  for (int i = 0; i < 10000; ++i)
    d.push_back(det(static_cast<float>(i % 100) * 20, static_cast<float>(i / 100) * 20, 10, 10,
                    0.3f + 0.6f * static_cast<float>(i % 7) / 7));
  t.update(d, 0, keep);
  EXPECT_EQ(t.stats().capped, 9000u);
  EXPECT_EQ(std::accumulate(keep.begin(), keep.end(), 0), 10000) << "all over conf: published";
  size_t tracked = 0;
  for (const Detection& x : d) tracked += x.track_id > 0;
  EXPECT_EQ(tracked, 1000u);
}

TEST(ByteTracker, TimeGoingBackwardsCountsAsOneStep) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  for (int i = 0; i < 10; ++i) {
    Detections d = {det(100.f + 3 * i, 100, 40, 40, 0.9f)};
    t.update(d, 1'000'000'000'000 + i * kFrameNs, keep);
  }
  Detections d = {det(130, 100, 40, 40, 0.9f)};
  t.update(d, 5 * kFrameNs, keep);  // the clock restarted near zero
  EXPECT_EQ(t.stats().time_backwards, 1u);
  EXPECT_EQ(d[0].track_id, 1) << "the identity survives";
  // The track still expires on the new clock (its age moved with the clock).
  for (int i = 6; i <= 80; ++i) {
    Detections none;
    t.update(none, i * kFrameNs, keep);
  }
  EXPECT_EQ(t.stats().active, 0u);
}

TEST(ByteTracker, AJumpOfMinutesStartsAfresh) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  for (int i = 0; i < 5; ++i) {
    Detections d = {det(100, 100, 40, 40, 0.9f)};
    t.update(d, i * kFrameNs, keep);
  }
  const int64_t later = 5 * kFrameNs + 180'000'000'000;  // a reconnect 3 minutes later
  for (int i = 0; i < 3; ++i) {
    Detections d = {det(100, 100, 40, 40, 0.9f)};
    t.update(d, later + i * kFrameNs, keep);
    if (i == 0) {
      EXPECT_EQ(d[0].track_id, 0) << "a new object, not yet confirmed";
    }
    if (i == 2) {
      EXPECT_EQ(d[0].track_id, 2);
    }
  }
}

TEST(ByteTracker, ClassIsAScoreWeightedVote) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  const int classes[] = {3, 3, 1, 3, 3, 1, 3};  // the detector flickers to class 1
  for (int i = 0; i < 7; ++i) {
    Detections d = {det(100, 100, 40, 40, 0.9f, classes[i])};
    t.update(d, i * kFrameNs, keep);
    EXPECT_EQ(d[0].class_id, 3) << "frame " << i;
    EXPECT_EQ(d[0].track_id, 1);
  }
}

TEST(Position3d, BackProjectsTheBoxCentreAndSkipsBoxesWithoutDepth) {
  const Intrinsics k{500, 500, 320, 240};
  Detections d = {det(420, 140, 50, 100, 0.9f), det(100, 100, 10, 10, 0.9f),
                  det(100, 100, 10, 10, 0.9f)};
  d[0].distance = 4.f;
  d[2].distance = std::numeric_limits<float>::infinity();
  locate_in_3d(d, k);
  ASSERT_TRUE(d[0].has_position);
  EXPECT_FLOAT_EQ(d[0].position_m[0], 100.f * 4 / 500);   // right of centre
  EXPECT_FLOAT_EQ(d[0].position_m[1], -100.f * 4 / 500);  // above centre: y is down
  EXPECT_FLOAT_EQ(d[0].position_m[2], 4.f);
  EXPECT_FLOAT_EQ(d[0].size_m[0], 0.4f);
  EXPECT_FLOAT_EQ(d[0].size_m[1], 0.8f);
  EXPECT_FALSE(d[1].has_position) << "no distance (kNoDistance)";
  EXPECT_FALSE(d[2].has_position) << "infinite distance";
}

TEST(ByteTracker, GivesTrackedObjectsAVelocityInMetresPerSecond) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  const Intrinsics k{500, 500, 320, 240};
  for (int i = 0; i < 90; ++i) {  // 0.5 m/s to the right at 5 m: 50 px/s = 5/3 px per frame
    Detections d = {det(200.f + 50.f * i / 30, 240, 50, 100, 0.9f)};
    d[0].distance = 5.f;
    locate_in_3d(d, k);
    t.update(d, i * kFrameNs, keep);
    if (i == 89) {
      ASSERT_TRUE(d[0].has_velocity_m_s);
      EXPECT_NEAR(d[0].velocity_m_s[0], 0.5f, 0.05f);
      EXPECT_NEAR(d[0].velocity_m_s[1], 0.f, 0.05f);
      EXPECT_NEAR(d[0].velocity_m_s[2], 0.f, 0.05f);
    }
  }
}

}  // namespace
}  // namespace percept
