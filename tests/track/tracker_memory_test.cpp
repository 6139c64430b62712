// Memory that stays flat (issue 16): objects appear and leave for a million frames; the tracker
// keeps only live tracks, and once warm a frame allocates nothing.
#include <gtest/gtest.h>

#include <random>

#include "percept/telemetry/system_sampler.hpp"
#include "percept/track/byte_tracker.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

// A stream of frames where objects live for 10..300 frames each, about 20 at a time, moving in
// straight lines: each one is a new track that is later removed.
class Churn {
 public:
  explicit Churn(uint64_t seed) : rng_(seed) {}
  void next(Detections& out) {
    out.clear();
    for (auto& o : live_) {
      o.x += o.vx, o.y += o.vy, --o.left;
      if (o.left > 0) out.push_back(make(o));
    }
    std::erase_if(live_, [](const Obj& o) { return o.left <= 0; });
    while (live_.size() < 20) {
      Obj o{u_(rng_) * 1800 + 60, u_(rng_) * 1000 + 40, u_(rng_) * 4 - 2, u_(rng_) * 4 - 2,
            10 + static_cast<int>(u_(rng_) * 290)};
      live_.push_back(o);
      out.push_back(make(o));
    }
  }

 private:
  struct Obj {
    float x, y, vx, vy;
    int left;
  };
  static Detection make(const Obj& o) {
    Detection d;
    d.box = {o.x - 20, o.y - 30, o.x + 20, o.y + 30};
    d.score = 0.8f;
    return d;
  }
  std::mt19937 rng_;
  std::uniform_real_distribution<float> u_{0, 1};
  std::vector<Obj> live_;
};

TEST(TrackerMemory, AMillionFramesOfChurnKeepRssAndTracksFlat) {
  ByteTracker t({});
  Churn churn(5);
  Detections d;
  d.reserve(64);
  std::vector<uint8_t> keep;
  constexpr int kFrames = 1'000'000;
  uint64_t rss_warm = 0;
  size_t most_active = 0;
  for (int i = 0; i < kFrames; ++i) {
    churn.next(d);
    t.update(d, static_cast<int64_t>(i) * 33'333'333, keep);
    most_active = std::max(most_active, t.stats().active);
    if (i == kFrames / 10) rss_warm = ProcessSampler::rss_bytes().value_or(0);
  }
  const uint64_t rss_end = ProcessSampler::rss_bytes().value_or(0);
  ASSERT_GT(rss_warm, 0u);
  EXPECT_GT(t.stats().confirmed, 50'000u) << "objects came and went";
  EXPECT_GT(t.stats().removed, 50'000u);
  // 20 live objects plus those lost within the last second: bounded, not growing.
  EXPECT_LT(most_active, 80u);
  EXPECT_LT(rss_end, rss_warm + 1024 * 1024) << "RSS grew over 900,000 frames";
}

TEST(TrackerMemory, AFrameOf100ObjectsAllocatesNothingOnceWarm) {
  ByteTracker t({});
  std::vector<uint8_t> keep;
  Detections d;
  auto frame = [&](int i) {
    d.clear();
    for (int k = 0; k < 100; ++k) {
      Detection x;
      const float cx = static_cast<float>(k % 10) * 150 + 60 + static_cast<float>(i);
      const float cy = static_cast<float>(k / 10) * 100 + 50;
      x.box = {cx - 30, cy - 40, cx + 30, cy + 40};
      x.score = 0.2f + 0.07f * static_cast<float>(k % 10);  // high and low boxes
      d.push_back(x);
    }
    t.update(d, static_cast<int64_t>(i) * 33'333'333, keep);
  };
  for (int i = 0; i < 50; ++i) frame(i);
  long n = 0;
  {
    test::CountAllocations count;
    for (int i = 50; i < 1050; ++i) frame(i);
    n = count.count();
  }
  EXPECT_EQ(n, 0) << "heap allocations in 1000 tracked frames";
  EXPECT_GT(t.stats().active, 50u);
}

}  // namespace
}  // namespace percept
