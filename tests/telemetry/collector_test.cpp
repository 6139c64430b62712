#include <gtest/gtest.h>

#include <thread>

#include "percept/telemetry/live.hpp"

namespace percept {
namespace {

TEST(TelemetryCollector, IntervalsAndTotalsFromLiveCounters) {
  TelemetryCollector tc({{"cam", 40.0}}, {{"det", 4}}, "libnvidia-ml-absent.so.1");
  LiveCamera& c = tc.camera(0);
  LiveModel& m = tc.model(0);
  for (int i = 1; i <= 10; ++i) {
    c.end_to_end.record(i * 1'000'000);
    c.completed.fetch_add(1);
    m.inference.record(5'000'000);
  }
  c.drops.fetch_add(2);
  m.batches.fetch_add(3);
  m.batch_sizes[4].fetch_add(2);
  m.batch_sizes[2].fetch_add(1);
  const TelemetrySnapshot a = tc.collect();
  ASSERT_EQ(a.cameras.size(), 1u);
  EXPECT_EQ(a.cameras[0].frames.interval, 10u);
  EXPECT_EQ(a.cameras[0].drops.total, 2u);
  EXPECT_EQ(a.cameras[0].end_to_end.count, 10u);
  EXPECT_NEAR(a.cameras[0].end_to_end.max_ms, 10.0, 0.1);
  EXPECT_EQ(a.latency.count, 10u);
  EXPECT_EQ(a.cameras[0].deadline_ms, 40.0);
  EXPECT_GT(a.interval_s, 0.0);
  EXPECT_NEAR(a.fps, 10 / a.interval_s, 1e-6);
  EXPECT_EQ(a.models[0].inference.count, 10u);
  EXPECT_EQ(a.models[0].batch_sizes, (std::vector<uint64_t>{0, 0, 1, 0, 2}));
  EXPECT_FALSE(a.system.gpu.has_value());
  EXPECT_TRUE(a.system.rss_bytes.has_value());

  // Next interval: two more frames; the interval holds only them, the totals everything.
  c.end_to_end.record(3'000'000);
  c.completed.fetch_add(1);
  const TelemetrySnapshot b = tc.collect();
  EXPECT_EQ(b.cameras[0].frames.interval, 1u);
  EXPECT_EQ(b.cameras[0].frames.total, 11u);
  EXPECT_EQ(b.cameras[0].drops.interval, 0u);
  EXPECT_EQ(b.cameras[0].end_to_end.count, 1u);
  EXPECT_EQ(b.cameras[0].end_to_end.total_count, 11u);
  EXPECT_EQ(b.models[0].inference.count, 0u);
  EXPECT_EQ(b.models[0].inference.total_count, 10u);
}

// Writers on another thread while the collector swaps: every sample lands in exactly one
// interval (run under TSan for the race check).
TEST(TelemetryCollector, ConcurrentWritersLoseNoSample) {
  TelemetryCollector tc({{"cam", std::nullopt}}, {}, "libnvidia-ml-absent.so.1");
  std::thread w([&] {
    for (int i = 0; i < 20000; ++i) {
      tc.camera(0).end_to_end.record(1000 + i);
      tc.camera(0).completed.fetch_add(1, std::memory_order_relaxed);
    }
  });
  uint64_t seen = 0;
  for (int i = 0; i < 50; ++i) seen += tc.collect().cameras[0].end_to_end.count;
  w.join();
  const TelemetrySnapshot last = tc.collect();
  seen += last.cameras[0].end_to_end.count;
  EXPECT_EQ(seen, 20000u);
  EXPECT_EQ(last.cameras[0].frames.total, 20000u);
}

}  // namespace
}  // namespace percept
