#include "percept/telemetry/report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "percept/core/error.hpp"
#include "sample_snapshot.hpp"

namespace percept {
namespace {

const std::string kSample = std::string(PERCEPT_TEST_DATA) + "/telemetry_sample.jsonl";

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(Report, BuildsFromARecordedTelemetryFileWithEverySectionAndNoNetwork) {
  const auto snaps = read_telemetry_file(kSample);
  ASSERT_EQ(snaps.size(), 20u);
  const std::string html = render_report_html(snaps, "sample");
  for (const char* id : {"summary", "latency-over-time", "stage-breakdown", "latency-histogram",
                         "fps-per-camera", "gpu-utilisation", "bottlenecks", "recommendations"})
    EXPECT_TRUE(contains(html, std::string("id=\"") + id + "\"")) << id;
  EXPECT_FALSE(std::regex_search(html, std::regex("https?://"))) << "references the network";
  EXPECT_FALSE(contains(html, "<script src"));
  EXPECT_TRUE(contains(html, "<svg"));
  EXPECT_TRUE(contains(html, "no GPU"));
}

TEST(Report, FindsTheBottlenecksAndRecommendationsTheNumbersCallFor) {
  const TelemetryAnalysis a = analyze_telemetry(read_telemetry_file(kSample));
  // Sample: preprocess ~9.25 ms and inference ~12.5 ms of ~30 ms end to end; queue ~4.25 ms.
  ASSERT_EQ(a.bottlenecks.size(), 2u);
  EXPECT_EQ(a.bottlenecks[0].stage, "inference");
  EXPECT_EQ(a.bottlenecks[1].stage, "preprocess");
  for (const StageShare& s : a.stages)
    if (s.stage == "queue" || s.stage == "postprocess") {
      EXPECT_LT(s.share, 0.2);
    }
  ASSERT_EQ(a.recommendations.size(), 2u);
  EXPECT_TRUE(contains(a.recommendations[0], "enable CUDA preprocessing"));
  EXPECT_TRUE(contains(a.recommendations[1], "Camera front"));
  EXPECT_TRUE(contains(a.recommendations[1], "3 of 20 intervals"));
  EXPECT_TRUE(contains(a.recommendations[1], "smaller input size or the fp16 model"));
}

TEST(Report, AnIdleGpuWhileFramesDropCallsForALargerBatch) {
  std::vector<TelemetrySnapshot> snaps(3, test::sample_snapshot());  // GPU 42% busy, 4 drops
  const TelemetryAnalysis a = analyze_telemetry(snaps);
  bool raise = false;
  for (const std::string& r : a.recommendations) raise |= contains(r, "raise max_batch");
  EXPECT_TRUE(raise);
  for (auto& s : snaps) s.system.gpu->utilization_percent = 90;
  for (const std::string& r : analyze_telemetry(snaps).recommendations)
    EXPECT_FALSE(contains(r, "raise max_batch"));
}

TEST(Report, ABadLineIsNamedByFileAndLine) {
  const std::string path = ::testing::TempDir() + "/bad_telemetry.jsonl";
  {
    std::ofstream f(path);
    f << telemetry_jsonl(test::sample_snapshot()) << "\n\n{\"t\": 1}\n";
  }
  try {
    read_telemetry_file(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "bad_telemetry.jsonl:3:")) << e.what();
  }
}

}  // namespace
}  // namespace percept
