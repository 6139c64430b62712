#include "percept/telemetry/system_sampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "percept/core/clock.hpp"

namespace percept {
namespace {

TEST(ProcessSampler, RssIsPositive) {
  const auto rss = ProcessSampler::rss_bytes();
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 0u);
}

// Busy work on this thread: CPU% over the interval is clearly above zero and cannot exceed
// 100% per core. No assertion on how long anything took.
TEST(ProcessSampler, CpuPercentAfterBusyWorkIsSane) {
  ProcessSampler s;
  const auto start = ProcessSampler::cpu_time_ns();
  ASSERT_TRUE(start.has_value());
  volatile double x = 0;
  // Spin until the process has used 100 ms of CPU (several clock ticks).
  while (*ProcessSampler::cpu_time_ns() - *start < 100'000'000)
    for (int i = 0; i < 100000; ++i) x = x + std::sqrt(static_cast<double>(i));
  const auto pct = s.cpu_percent();
  ASSERT_TRUE(pct.has_value());
  EXPECT_GT(*pct, 1.0);
  EXPECT_LE(*pct, 100.0 * std::thread::hardware_concurrency() + 5.0);
}

TEST(GpuSampler, WithoutNvmlEveryGpuFieldIsNull) {
  GpuSampler g("libnvidia-ml-does-not-exist.so.1");
  EXPECT_FALSE(g.available());
  EXPECT_FALSE(g.sample().has_value());
  EXPECT_NE(g.reason(), "");
}

TEST(GpuSampler, ReadsFiguresThroughNvmlAndConvertsUnits) {
  GpuSampler g(PERCEPT_FAKE_NVML);
  ASSERT_TRUE(g.available()) << g.reason();
  const auto s = g.sample();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "Fake GPU");
  EXPECT_EQ(s->utilization_percent, 37.0);
  EXPECT_EQ(s->memory_utilization_percent, 12.0);
  EXPECT_EQ(s->memory_used_bytes, 3ull << 30);
  EXPECT_EQ(s->memory_total_bytes, 8ull << 30);
  EXPECT_EQ(s->temperature_c, 61.0);
  EXPECT_DOUBLE_EQ(*s->power_w, 71.5);
  EXPECT_FALSE(s->sm_clock_mhz.has_value());  // the fake lacks nvmlDeviceGetClockInfo
}

TEST(GpuSampler, AGpuIndexThatDoesNotExistIsUnavailable) {
  GpuSampler g(PERCEPT_FAKE_NVML, 3);
  EXPECT_FALSE(g.available());
  EXPECT_FALSE(g.sample().has_value());
}

}  // namespace
}  // namespace percept
